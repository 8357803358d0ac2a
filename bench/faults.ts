/**
 * Faults, repeated: every role a real process; in each run one fault is
 * injected mid-run, and the table says what the survivors made of it: files
 * lost (files a surviving client did not get: it ended without them, or the
 * run hung and was killed after 45 s) and files corrupt (a byte that failed
 * verification).
 *
 * | fault | how |
 * | --- | --- |
 * | cache killed | SIGKILL to cache 0 once client 0 has 5 files |
 * | client killed | SIGKILL to client 1 once it has 5 files (it is the victim, not a survivor) |
 * | origin started last | caches and clients first, the origin 1 s later on the same port |
 * | connection reset mid-file | clients reach cache 0 through a real TCP proxy (tests/e2e/tcp_proxy.ts), which cuts one cache→client connection with a RST in the middle of a file |
 * | garbage on every port | once client 0 has 5 files, 4 KiB of garbage and a header announcing a 4 GiB body to the origin's and each cache's port; each such connection must be closed by the server |
 * | slow peer (stopped client) | SIGSTOP to client 1 once it has 5 files: it reads (and asks) nothing until the other clients have every file, or for 12 s (longer than the 10 s a write may wait for a reader), then SIGCONT |
 *
 * For the slow peer, the outcome also says in how many runs the other
 * clients could not finish while it was stopped (they waited on it): shown,
 * not counted as a failure (no file is lost; the run completes once it reads
 * again).
 *
 *   npm run build && npx bun bench/faults.ts [--runs 5] [--only "garbage on every port"]
 *
 * Exits 1 on any loss or corruption, or a survivor that did not exit 0, or a
 * fault whose own check failed (a bad connection left open by a server, a
 * cut that was not a RST on exactly one connection).
 *
 * @module
 */

import process from "node:process";
import { parseArgs } from "node:util";
import { type ChildProcess, spawn } from "node:child_process";
import { connect, createServer } from "node:net";
import { packageRoot, roleCommand } from "../roles/run.ts";
import { startProxy, type TcpProxy } from "../tests/e2e/tcp_proxy.ts";

type Event = Record<string, any>;
interface Proc {
  role: string;
  index: number;
  child: ChildProcess;
  events: Event[];
  exit: Promise<number | string | null>;
}

const FAULTS = [
  "cache killed",
  "client killed",
  "origin started last",
  "connection reset mid-file",
  "garbage on every port",
  "slow peer (stopped client)",
] as const;
type Fault = typeof FAULTS[number];

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    runs: { type: "string", default: "5" },
    only: { type: "string", multiple: true },
  },
});
const runs = Number(values.runs);
const only = values.only as string[] | undefined;
for (const f of only ?? []) {
  if (!(FAULTS as readonly string[]).includes(f)) {
    console.error(`unknown fault "${f}"; one of: ${FAULTS.join(", ")}`);
    process.exit(2);
  }
}
const root = packageRoot();
const SCENARIO = ["--files", "400", "--requests", "50", "--capacity-kib", "3000"];
const REQUESTS = 50;
/** A run still going after this long is killed (its clients' missing files count as lost). */
const RUN_TIMEOUT_MS = 45_000;

function start(role: "data" | "cache" | "client", index: number, args: string[]): Proc {
  const [cmd, ...rest] = roleCommand(root, "node", role);
  const child = spawn(cmd!, [...rest, ...args, "--log-level", "error"], {
    stdio: ["ignore", "pipe", "ignore"],
  });
  const events: Event[] = [];
  let buf = "";
  child.stdout!.setEncoding("utf8");
  child.stdout!.on("data", (d: string) => {
    buf += d;
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      try {
        events.push(JSON.parse(buf.slice(0, nl)));
      } catch { /* not an event */ }
      buf = buf.slice(nl + 1);
    }
  });
  const exit = new Promise<number | string | null>((resolve) =>
    child.on("exit", (c, s) => resolve(c ?? s))
  );
  return { role, index, child, events, exit };
}

async function until(p: Proc, match: (e: Event) => boolean, ms = 30_000): Promise<boolean> {
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    if (p.events.some(match)) return true;
    await new Promise((r) => setTimeout(r, 5));
  }
  return false;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const has = (n: number) => (e: Event) => e.event === "progress" && e.files >= n;

/** A loopback port free a moment ago. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Sends `bytes` to a port; true once the server has closed the connection (within 10 s). */
function garbage(port: number, bytes: Uint8Array): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host: "127.0.0.1", port }, () => sock.write(bytes));
    const timer = setTimeout(() => (sock.destroy(), resolve(false)), 10_000);
    const closed = () => (clearTimeout(timer), resolve(true));
    sock.on("data", () => {});
    sock.on("error", closed);
    sock.on("close", closed);
  });
}
const GARBAGE = new Uint8Array(4096).map((_, i) => (i * 97 + 13) & 0xff);
/** A hello header announcing a 4 GiB body. */
const HUGE = new Uint8Array([0x01, 0xff, 0xff, 0xff, 0xff, 1, 2, 3]);

interface Outcome {
  lost: number;
  corrupt: number;
  survivorsOk: boolean;
  /** The fault's own check (see the module doc); true when it has none. */
  checkOk: boolean;
  /** Slow peer: the other clients could not finish while it was stopped. */
  heldUp: boolean;
}

async function once(fault: Fault, policy: string, seed: number): Promise<Outcome> {
  const flags = [...SCENARIO, "--seed", String(seed), "--policy", policy, "--scale", "20"];
  let origin: Proc | undefined;
  let at: string;
  if (fault === "origin started last") {
    const probe = start("data", 0, [...flags, "--listen", "127.0.0.1:0"]);
    await until(probe, (e) => e.event === "listening");
    at = `127.0.0.1:${probe.events.find((e) => e.event === "listening")!.port}`;
    probe.child.kill("SIGKILL");
    await probe.exit;
  } else {
    origin = start("data", 0, [...flags, "--listen", "127.0.0.1:0"]);
    await until(origin, (e) => e.event === "listening");
    at = `127.0.0.1:${origin.events.find((e) => e.event === "listening")!.port}`;
  }
  let proxy: TcpProxy | undefined;
  let cache0 = ["--origin", at];
  if (fault === "connection reset mid-file") {
    // Cache 0 listens where the proxy forwards; clients are given the proxy's port.
    const cachePort = await freePort();
    proxy = await startProxy({
      target: { host: "127.0.0.1", port: cachePort },
      reset: { afterBytes: 300_000, midFile: true },
    });
    cache0 = [
      ...cache0,
      "--listen",
      `127.0.0.1:${cachePort}`,
      "--advertise",
      `127.0.0.1:${proxy.port}`,
    ];
  }
  const caches = [
    start("cache", 0, [...cache0, "--index", "0"]),
    start("cache", 1, ["--origin", at, "--index", "1"]),
  ];
  const clients = [0, 1, 2, 3].map((i) =>
    start("client", i, ["--origin", at, "--index", String(i)])
  );
  let victim: Proc | undefined;
  let checkOk = true;
  let heldUp = false;
  switch (fault) {
    case "origin started last":
      await sleep(1000);
      origin = start("data", 0, [...flags, "--listen", at]);
      break;
    case "cache killed":
    case "client killed":
      victim = fault === "cache killed" ? caches[0]! : clients[1]!;
      await until(clients[fault === "cache killed" ? 0 : 1]!, has(5));
      victim.child.kill("SIGKILL");
      break;
    case "connection reset mid-file":
      // Every process is a survivor; the cut client must still get every file.
      break;
    case "garbage on every port": {
      await until(clients[0]!, has(5));
      const ports = [origin!, ...caches].map((p) =>
        p.events.find((e) => e.event === "listening" || e.event === "registered")?.port as number
      );
      const closed = await Promise.all(
        ports.flatMap((p) => [garbage(p, GARBAGE), garbage(p, HUGE)]),
      );
      checkOk = ports.every((p) => p !== undefined) && closed.every((c) => c);
      break;
    }
    case "slow peer (stopped client)": {
      const slow = clients[1]!;
      await until(slow, has(5));
      slow.child.kill("SIGSTOP");
      // Do the others get every file meanwhile, or do they wait on it?
      const others = clients.filter((c) => c !== slow);
      const finished = await Promise.all(others.map((c) => until(c, has(REQUESTS), 12_000)));
      slow.child.kill("SIGCONT");
      heldUp = !finished.every((f) => f);
      break;
    }
  }
  const all = [origin!, ...caches, ...clients];
  const timer = setTimeout(() => all.forEach((p) => p.child.kill("SIGKILL")), RUN_TIMEOUT_MS);
  const codes = await Promise.all(all.map((p) => p.exit));
  clearTimeout(timer);
  if (proxy) {
    // The cut happened, on one connection, as a real RST.
    checkOk = proxy.resets.length === 1 && proxy.resets[0]!.rst;
    await proxy.close();
  }
  let lost = 0;
  let corrupt = 0;
  let survivorsOk = true;
  all.forEach((p, i) => {
    if (p === victim) return;
    if (codes[i] !== 0) survivorsOk = false;
    if (p.role !== "client") return;
    const s = p.events.find((e) => e.event === "summary");
    // A client killed at the run's timeout prints no summary: what it had by
    // its last progress report counts as received.
    const had = s?.verified ?? p.events.findLast((e) => e.event === "progress")?.files ?? 0;
    lost += REQUESTS - had;
    corrupt += s?.corrupt ?? 0;
  });
  return { lost, corrupt, survivorsOk, checkOk, heldUp };
}

const W = Math.max(...FAULTS.map((f) => f.length));
console.log(
  `${"fault".padEnd(W)}  policy     runs  files lost  files corrupt  outcome`,
);
let bad = false;
for (const fault of FAULTS) {
  if (only && !only.includes(fault)) continue;
  for (const policy of ["foresight", "seed"]) {
    let lost = 0, corrupt = 0, ok = 0, heldUp = 0;
    for (let r = 0; r < runs; r++) {
      const x = await once(fault, policy, r + 1);
      lost += x.lost;
      corrupt += x.corrupt;
      if (x.heldUp) heldUp++;
      if (x.survivorsOk && x.checkOk && x.lost === 0 && x.corrupt === 0) ok++;
    }
    if (ok < runs) bad = true;
    console.log(
      `${fault.padEnd(W)}  ${policy.padEnd(9)}  ${String(runs).padStart(4)}  ${
        String(lost).padStart(10)
      }  ${String(corrupt).padStart(13)}  ${ok === runs ? "all completed" : `${runs - ok} failed`}${
        fault === "slow peer (stopped client)"
          ? `; others waited on it in ${heldUp} of ${runs}`
          : ""
      }`,
    );
  }
}
process.exit(bad ? 1 : 0);
