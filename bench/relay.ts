/**
 * Relay throughput of Foresight's protocol path against a bare socket relay
 * of the same runtime, measured in the same run, as a ratio. Three processes
 * on loopback (source → relay → sink), like the "3-process relay" column of
 * RUNTIMES.md; see bench/relay_roles.ts for what each mode does.
 *
 *   npx bun bench/relay.ts                      # every runtime, 1 GiB per run, 3 repetitions
 *   npx bun bench/relay.ts --runtime deno --bytes 268435456
 *   node bench/relay.mjs --runtime node         # driven from Node (bundles first); = npm run bench
 *   node bench/run.mjs relay --runtime node     # the same
 *
 * Flags: `--runtime node|deno|bun|all` (default all), `--bytes N` (default
 * 2^30, rounded up to whole files of 3–5 MiB), `--reps N` (default 3),
 * `--capacity-mib N` (what the relay may hold, default 25, a canonical cache),
 * `--profile DIR` (the relay process of each run writes a CPU profile there,
 * `relay-<runtime>-<mode>-<rep>.cpuprofile`, with Node's and Bun's `--cpu-prof`;
 * Deno has no such flag, so its relay runs unprofiled), `--chunk-bytes N`
 * (payload per chunk frame and the relay's page size, default 65536, up to
 * 1048572: the bare source writes blocks of that size too; for choosing the
 * chunk size by measurement).
 *
 * Per runtime, each repetition runs the bare relay then the Foresight relay,
 * back to back. Printed: the medians in MB/s (10^6 B/s of file payload, timed
 * at the sink from the first byte in to the last), the ratio foresight/bare
 * (with its range over the repetitions), the relay process's peak RSS, the
 * CPU seconds per GiB of payload of each process (median over the
 * repetitions), and per run the CPU seconds of each process (on a 2-core
 * machine the three share the cores, so CPU per byte is what bounds
 * throughput, and it is far less sensitive to other load than MB/s). The sink
 * checks the byte count (and, for Foresight, every byte). Node children run
 * the esbuild bundle `node_modules/.cache/foresight-bench/relay.mjs` (built
 * here first; see bench/run.mjs); Deno children run
 * `deno run -A bench/relay.ts`, Bun children `bun run bench/relay.ts`.
 *
 * @module
 */

import process from "node:process";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve as resolvePath } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { detectRuntime, loadAdapter } from "../net/select.ts";
import type { Address, RuntimeName } from "../net/types.ts";
import { mib, rssSampler } from "./peak_rss.ts";
import {
  type Mode,
  planFiles,
  type RoleResult,
  runRelay,
  runSink,
  runSource,
} from "./relay_roles.ts";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    runtime: { type: "string", default: "all" },
    bytes: { type: "string", default: String(2 ** 30) },
    reps: { type: "string", default: "3" },
    "capacity-mib": { type: "string", default: "25" },
    role: { type: "string" },
    mode: { type: "string", default: "bare" },
    port: { type: "string", default: "0" },
    profile: { type: "string" },
    "chunk-bytes": { type: "string", default: "65536" },
  },
});

/** Where the Node children run from (see bench/run.mjs). */
const BUNDLE = join("node_modules", ".cache", "foresight-bench", "relay.mjs");
const RUNTIMES: readonly RuntimeName[] = ["node", "deno", "bun"];

function whole(name: string, text: string | undefined, min: number): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min) {
    console.error(`relay: --${name} ${text} is not an integer >= ${min}`);
    process.exit(2);
  }
  return n;
}

/** `--chunk-bytes`: 1 up to what a 1 MiB frame body holds after its 4-byte file id. */
function chunkBytes(): number {
  const n = whole("chunk-bytes", values["chunk-bytes"], 1);
  if (n > 1_048_572) {
    console.error(`relay: --chunk-bytes ${n} is over 1048572 (a frame body holds at most 1 MiB)`);
    process.exit(2);
  }
  return n;
}

/** The package root: the nearest folder above this file with a package.json. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`Cannot find the package root above ${import.meta.url}`);
    dir = up;
  }
  return dir;
}

/** One role in this process: prints `READY <port>` once listening and `RESULT <json>` at the end. */
async function role(name: string): Promise<void> {
  const mode = values.mode as Mode;
  const adapter = await loadAdapter();
  const rss = rssSampler();
  const ready = (a: Address) => console.log(`READY ${a.port}`);
  const to = () => ({ host: "127.0.0.1", port: whole("port", values.port, 1) });
  let result: RoleResult;
  const chunk = chunkBytes();
  if (name === "source") {
    result = await runSource(adapter, mode, to(), whole("bytes", values.bytes, 1), chunk);
  } else if (name === "sink") result = await runSink(adapter, mode, ready);
  else {
    const capacity = whole("capacity-mib", values["capacity-mib"], 6) * 1_048_576;
    result = await runRelay(adapter, mode, to(), capacity, ready, chunk);
  }
  rss.stop();
  const cpu = process.cpuUsage();
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  console.log(`RESULT ${JSON.stringify({ ...result, peakRss: rss.peak(), cpuSeconds })}`);
  process.exit(0);
}

/** The runtime flags that write a CPU profile named `name` into `--profile`, if asked for. */
function profiling(runtime: RuntimeName, name: string | undefined): string[] {
  const dir = values.profile;
  if (dir === undefined || name === undefined || runtime === "deno") return [];
  return ["--cpu-prof", `--cpu-prof-dir=${resolvePath(dir)}`, `--cpu-prof-name=${name}.cpuprofile`];
}

/**
 * The command line that starts this script as `args` on `runtime`, writing
 * a CPU profile named `profile` when `--profile` is given.
 */
function command(root: string, runtime: RuntimeName, args: string[], profile?: string): string[] {
  const bin = (name: string) => join(root, "node_modules", ".bin", name);
  const prof = profiling(runtime, profile);
  switch (runtime) {
    case "node": {
      const node = detectRuntime() === "node" ? process.execPath : "node";
      return [node, ...prof, join(root, BUNDLE), ...args];
    }
    case "deno":
      return [bin("deno"), "run", "-A", join(root, "bench", "relay.ts"), ...args];
    case "bun":
      return [bin("bun"), ...prof, "run", join(root, "bench", "relay.ts"), ...args];
  }
}

/** A role's result line. */
type Reported = RoleResult & { peakRss: number; cpuSeconds: number };

interface Child {
  proc: ChildProcess;
  /** Resolves with the port of the first `READY` line. */
  ready: Promise<number>;
  /** Resolves with the `RESULT` line once the process exited 0. */
  result: Promise<Reported>;
}

function start(argv: string[], root: string, what: string): Child {
  const proc = spawn(argv[0]!, argv.slice(1), {
    cwd: root,
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, NO_COLOR: "1", RUST_BACKTRACE: "0" },
  });
  let out = "";
  let onReady!: (port: number) => void;
  const ready = new Promise<number>((r) => (onReady = r));
  proc.stdout!.setEncoding("utf8");
  proc.stdout!.on("data", (text: string) => {
    out += text;
    const m = /^READY (\d+)$/m.exec(out);
    if (m) onReady(Number(m[1]));
  });
  const result = new Promise<Reported>((resolve, reject) => {
    proc.on("error", reject);
    proc.on("exit", (code) => {
      const m = /^RESULT (.*)$/m.exec(out);
      if (code === 0 && m) resolve(JSON.parse(m[1]!));
      else reject(new Error(`${what} exited with ${code}: ${out.trim() || "no output"}`));
    });
  });
  // A child that dies before it is ready fails the run instead of hanging it.
  result.catch(() => onReady(-1));
  return { proc, ready, result };
}

interface Measure {
  mbps: number;
  relayRss: number;
  bytes: number;
  /** CPU seconds of source, relay and sink. */
  cpu: [number, number, number];
}

/** Runs one source → relay → sink trio. */
async function trio(
  root: string,
  runtime: RuntimeName,
  mode: Mode,
  rep: number,
): Promise<Measure> {
  const common = [
    "--mode",
    mode,
    "--bytes",
    String(values.bytes),
    "--chunk-bytes",
    `${chunkBytes()}`,
  ];
  const extra = ["--capacity-mib", String(values["capacity-mib"])];
  const children: Child[] = [];
  const timer = setTimeout(() => {
    for (const c of children) c.proc.kill("SIGKILL");
  }, 600_000);
  try {
    const sink = start(command(root, runtime, ["--role", "sink", ...common]), root, "sink");
    children.push(sink);
    const sinkPort = await sink.ready;
    if (sinkPort < 0) await sink.result;
    const relay = start(
      command(
        root,
        runtime,
        ["--role", "relay", ...common, ...extra, "--port", `${sinkPort}`],
        `relay-${runtime}-${mode}-${rep}`,
      ),
      root,
      "relay",
    );
    children.push(relay);
    const relayPort = await relay.ready;
    if (relayPort < 0) await relay.result;
    const source = start(
      command(root, runtime, ["--role", "source", ...common, "--port", `${relayPort}`]),
      root,
      "source",
    );
    children.push(source);
    const [s, r, k] = await Promise.all([source.result, relay.result, sink.result]);
    if (k.bytes !== s.bytes || r.bytes !== s.bytes) {
      throw new Error(`${runtime} ${mode}: sent ${s.bytes}, relayed ${r.bytes}, got ${k.bytes}`);
    }
    if (k.corrupt) throw new Error(`${runtime} ${mode}: ${k.corrupt} files failed verification`);
    return {
      mbps: k.bytes / k.seconds! / 1e6,
      relayRss: r.peakRss,
      bytes: k.bytes,
      cpu: [s.cpuSeconds, r.cpuSeconds, k.cpuSeconds],
    };
  } finally {
    clearTimeout(timer);
    for (const c of children) if (c.proc.exitCode === null) c.proc.kill("SIGKILL");
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

async function drive(): Promise<void> {
  const root = packageRoot();
  const choice = String(values.runtime);
  const runtimes = choice === "all" ? RUNTIMES : RUNTIMES.filter((r) => r === choice);
  if (runtimes.length === 0) {
    console.error(`relay: --runtime ${choice} is not node, deno, bun or all`);
    process.exit(2);
  }
  const reps = whole("reps", values.reps, 1);
  const { ids, total } = planFiles(whole("bytes", values.bytes, 1));
  whole("capacity-mib", values["capacity-mib"], 6);
  if (runtimes.includes("node")) {
    const built = spawnSync(join(root, "node_modules", ".bin", "esbuild"), [
      "bench/relay.ts",
      "--bundle",
      "--platform=node",
      "--format=esm",
      "--target=node20",
      "--packages=external",
      `--outfile=${BUNDLE}`,
      "--log-level=warning",
    ], { cwd: root, stdio: "inherit" });
    if (built.status !== 0) {
      throw new Error("Cannot bundle bench/relay.ts for node: esbuild failed");
    }
  }
  console.log(
    `relay benchmark: ${total} B (${ids.length} files of 3–5 MiB) per run, ${reps} repetitions, ` +
      `relay capacity ${values["capacity-mib"]} MiB, chunks of ${chunkBytes()} B, ` +
      `driver on ${detectRuntime()}`,
  );
  const rows: string[] = [];
  for (const runtime of runtimes) {
    const got: Record<Mode, Measure[]> = { bare: [], foresight: [] };
    for (let rep = 1; rep <= reps; rep++) {
      for (const mode of ["bare", "foresight"] as const) {
        const m = await trio(root, runtime, mode, rep);
        got[mode].push(m);
        console.log(
          `  ${runtime} rep ${rep} ${mode.padEnd(9)} ${m.mbps.toFixed(0).padStart(6)} MB/s` +
            `  relay peak RSS ${mib(m.relayRss).padStart(6)} MiB` +
            `  CPU s source/relay/sink ${m.cpu.map((c) => c.toFixed(2)).join("/")}`,
        );
      }
    }
    const bare = median(got.bare.map((m) => m.mbps));
    const fs = median(got.foresight.map((m) => m.mbps));
    const rss = (mode: Mode) => mib(Math.max(...got[mode].map((m) => m.relayRss)));
    const ratios = got.foresight.map((m, i) => m.mbps / got.bare[i]!.mbps);
    const range = `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}`;
    // CPU seconds per GiB of payload, per process (source/relay/sink), median over the reps.
    const perGib = (mode: Mode) =>
      [0, 1, 2].map((i) => median(got[mode].map((m) => m.cpu[i]! / (m.bytes / 2 ** 30))).toFixed(2))
        .join("/");
    rows.push(
      `${runtime.padEnd(7)} ${bare.toFixed(0).padStart(9)} ${fs.toFixed(0).padStart(14)} ` +
        `${(fs / bare).toFixed(3).padStart(8)} ${range.padStart(11)}   ${rss("bare").padStart(8)} ${
          rss("foresight").padStart(13)
        }   ${perGib("bare").padStart(14)}   ${perGib("foresight").padStart(14)}`,
    );
  }
  console.log(
    "\nmedians of payload MB/s (10^6 B/s); f/bare = ratio of the medians, per-rep range beside it;" +
      " peak RSS of the relay process (max over reps); CPU s per GiB of payload of source/relay/sink" +
      " (median over reps, process start included)",
  );
  console.log(
    "runtime  bare MB/s  foresight MB/s  f/bare  per-rep f/b   bare MiB  foresight MiB" +
      "   bare CPU s/GiB   fs. CPU s/GiB",
  );
  for (const row of rows) console.log(row);
}

if (values.role !== undefined) await role(values.role);
else await drive();
