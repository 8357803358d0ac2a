/**
 * Runs a scenario on this machine: every role its own OS process on the
 * runtime asked for, their JSON-line events read from stdout, their logs
 * passed on, and the report built from their summaries. `foresight run`
 * (roles/run_cli.ts) adds the progress, the dashboard and the report files.
 *
 * @module
 */

import process from "node:process";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Scenario } from "../core/scenario.ts";
import { ForesightError } from "../errors.ts";
import { buildReport, type ProcessInfo, type Summary } from "./report.ts";

type Runtime = "node" | "deno" | "bun";
type Role = "data" | "cache" | "client";

/** The runtimes `--runtime` accepts: one for every role, or mixed. */
export const RUNTIME_CHOICES = ["node", "deno", "bun", "mixed"] as const;

/**
 * The package root: the nearest folder above this file with a package.json.
 *
 * @example
 * ```ts
 * join(packageRoot(), "dist", "cli.js");
 * ```
 */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const up = dirname(dir);
    if (up === dir) {
      throw new ForesightError(
        "CONFIG",
        "Cannot find the package root: no package.json above " + import.meta.url,
      );
    }
    dir = up;
  }
  return dir;
}

function bin(root: string, name: string): string {
  const local = join(root, "node_modules", ".bin", name);
  return existsSync(local) ? local : name;
}

/**
 * The command line that starts `role` on `runtime`.
 *
 * @example
 * ```ts
 * roleCommand(packageRoot(), "deno", "cache"); // [".../deno", "run", "--v8-flags=…", "--allow-net", …, ".../roles/cache.ts"]
 * ```
 */
export function roleCommand(root: string, runtime: Runtime, role: Role): string[] {
  switch (runtime) {
    case "node": {
      const entry = join(root, "dist", `${role}.js`);
      if (!existsSync(entry)) {
        throw new ForesightError(
          "CONFIG",
          `Cannot start ${role} on node: ${entry} is missing (run npm run build)`,
        );
      }
      return [process.versions.bun || (globalThis as any).Deno ? "node" : process.execPath, entry];
    }
    case "deno":
      return [
        bin(root, "deno"),
        "run",
        // A smaller young generation: V8 otherwise grows it to its maximum under this
        // traffic and the origin's RSS with it (bench/memory.ts: 138 → 81 MiB).
        "--v8-flags=--max-semi-space-size=4",
        "--allow-net",
        "--allow-env",
        "--allow-read",
        "--allow-sys",
        join(root, "roles", `${role}.ts`),
      ];
    case "bun":
      return [bin(root, "bun"), "run", join(root, "roles", `${role}.ts`)];
  }
}

interface Child {
  role: Role;
  index: number;
  runtime: Runtime;
  proc: ChildProcess;
  summary?: Summary;
  /** Its latest `stats` event: what the report shows of it when it printed no summary. */
  stats?: Record<string, any>;
  /** The signal that ended it, if one did. */
  signal: NodeJS.Signals | null;
  exit: Promise<number | null>;
}

/** The signals that interrupt a run, and the exit code each conventionally gives. */
export const INTERRUPT_EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;

/** How long a stopped child has to exit after SIGTERM before it gets SIGKILL (ms). */
export const STOP_GRACE_MS = 2000;

/**
 * A fresh random shared secret: 32 bytes from Web Crypto, as hex.
 *
 * @example
 * ```ts
 * randomSecret(); // "9f1c…" (64 hex digits)
 * ```
 */
export function randomSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The runtime a role runs on for a `--runtime` choice.
 *
 * @throws {ForesightError} CONFIG for a choice that is not node, deno, bun or mixed
 *
 * @example
 * ```ts
 * runtimeOf("mixed", "cache"); // "bun"
 * ```
 */
export function runtimeOf(choice: string, role: Role): Runtime {
  if (choice === "mixed") return role === "data" ? "deno" : role === "cache" ? "bun" : "node";
  if (choice === "node" || choice === "deno" || choice === "bun") return choice;
  throw new ForesightError(
    "CONFIG",
    `Cannot use --runtime "${choice}": expected node, deno, bun or mixed`,
  );
}

/**
 * Runs a scenario end to end and returns the report.
 *
 * SIGINT or SIGTERM to this process interrupts the run: every child gets
 * SIGTERM, and SIGKILL if it has not exited {@link STOP_GRACE_MS} later (at
 * once on a second signal); the report then says `interrupted` and shows what
 * each role had done by its latest stats event. No child outlives the call.
 *
 * @example
 * ```ts
 * const report = await runScenario(scenario, { runtime: "node", host: "127.0.0.1", logLevel: "warn", timeoutS: 120, adminPort: 0 });
 * ```
 */
export async function runScenario(
  scenario: Scenario,
  opts: {
    runtime: string;
    host: string;
    logLevel: string;
    timeoutS: number;
    onEvent?: (child: { role: Role; index: number }, e: Record<string, any>) => void;
    /** Serve every role's admin API: 0 = each picks a port; N = consecutive ports from N. */
    adminPort?: number;
    /** How often each role prints a stats event (default: 100 ms, slower for many processes). */
    statsMs?: number;
    /** A shared secret for every role, passed in their environment (FORESIGHT_SECRET). */
    secret?: string;
    /** The roles' log format (default pretty). */
    logFormat?: "pretty" | "json";
    /** Where the roles' log lines go (default stderr); whole lines, each ending in a newline. */
    writeLog?: (text: string) => void;
    /** How long a stopped child has between SIGTERM and SIGKILL (ms, default {@link STOP_GRACE_MS}). */
    stopGraceMs?: number;
  },
): Promise<ReturnType<typeof buildReport>> {
  const root = packageRoot();
  const children: Child[] = [];
  const errors: string[] = [];
  const t0 = performance.now();
  let originAddr: { host: string; port: number } | undefined;
  let onListening!: () => void;
  const listening = new Promise<void>((r) => (onListening = r));

  const count = 1 + scenario.caches + scenario.clients;
  const statsMs = opts.statsMs ?? (count <= 16 ? 100 : count <= 128 ? 250 : 1000);
  const writeLog = opts.writeLog ?? ((text: string) => void process.stderr.write(text));
  const logFormat = opts.logFormat ?? "pretty";
  // The roles get every setting as a flag: FORESIGHT_* variables meant for this command stay here.
  const env: Record<string, string | undefined> = { NO_COLOR: "1", RUST_BACKTRACE: "0" };
  for (const [k, val] of Object.entries(process.env)) {
    if (!k.startsWith("FORESIGHT_")) env[k] ??= val;
  }
  if (opts.secret !== undefined) env.FORESIGHT_SECRET = opts.secret;
  const adminPortOf = (role: Role, index: number): string[] => {
    if (opts.adminPort === undefined) return [];
    if (opts.adminPort === 0) return ["--admin-port", "0"];
    const offset = role === "data" ? 0 : role === "cache" ? 1 + index : 1 + scenario.caches + index;
    return ["--admin-port", String(opts.adminPort + offset)];
  };

  const start = (role: Role, index: number, args: string[]): Child => {
    const runtime = runtimeOf(opts.runtime, role);
    const [cmd, ...rest] = roleCommand(root, runtime, role);
    const proc = spawn(cmd!, [
      ...rest,
      ...args,
      ...adminPortOf(role, index),
      "--stats-ms",
      String(statsMs),
      "--log-level",
      opts.logLevel,
      "--log-format",
      logFormat,
    ], { stdio: ["ignore", "pipe", "pipe"], env });
    const child: Child = {
      role,
      index,
      runtime,
      proc,
      signal: null,
      exit: new Promise((resolve) => {
        proc.on("exit", (code, signal) => {
          child.signal = signal;
          resolve(code);
        });
        proc.on("error", (e) => {
          errors.push(`${role} ${index}: cannot start ${cmd}: ${e.message}`);
          resolve(127);
        });
      }),
    };
    let buf = "";
    proc.stdout!.setEncoding("utf8");
    proc.stdout!.on("data", (d: string) => {
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        let e: Record<string, any>;
        try {
          e = JSON.parse(line);
        } catch {
          continue;
        }
        if (e.event === "summary") child.summary = e as Summary;
        if (e.event === "stats") child.stats = e;
        if (e.event === "listening" && role === "data") {
          originAddr = { host: opts.host, port: e.port };
          onListening();
        }
        opts.onEvent?.({ role, index }, e);
      }
    });
    proc.stderr!.setEncoding("utf8");
    const tag = `[${role}${role === "data" ? "" : index}/${runtime}] `;
    let errBuf = "";
    const forward = (lines: string[]) => {
      const text = lines.filter((l) => l).map((l) =>
        logFormat === "json" ? jsonLogLine(l, { role, index, runtime }) : tag + l
      ).join("\n");
      if (text) writeLog(text + "\n");
    };
    proc.stderr!.on("data", (d: string) => {
      errBuf += d;
      const nl = errBuf.lastIndexOf("\n");
      if (nl < 0) return;
      forward(errBuf.slice(0, nl).split("\n"));
      errBuf = errBuf.slice(nl + 1);
    });
    proc.stderr!.on("end", () => forward([errBuf]));
    children.push(child);
    return child;
  };

  const running = () =>
    children.filter((c) => c.proc.exitCode === null && c.proc.signalCode === null);
  const killAll = (signal: NodeJS.Signals) => {
    for (const c of running()) c.proc.kill(signal);
  };
  // Stops every child: SIGTERM now, SIGKILL for any still running after the grace.
  let escalation: ReturnType<typeof setTimeout> | undefined;
  const stopAll = () => {
    killAll("SIGTERM");
    escalation ??= setTimeout(() => killAll("SIGKILL"), opts.stopGraceMs ?? STOP_GRACE_MS);
  };
  let interrupted: keyof typeof INTERRUPT_EXIT_CODES | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted === undefined && children.length > 0 && running().length === 0) return; // over
    if (interrupted !== undefined) {
      killAll("SIGKILL"); // a second signal: no more waiting
      return;
    }
    interrupted = signal === "SIGTERM" ? "SIGTERM" : "SIGINT";
    errors.push(`interrupted by ${interrupted}`);
    stopAll();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  const flags = [
    "--files",
    scenario.files,
    "--caches",
    scenario.caches,
    "--clients",
    scenario.clients,
    "--requests",
    scenario.requests,
    "--capacity-kib",
    scenario.capacityKiB,
    "--rate-origin-client",
    scenario.rateOriginClient,
    "--rate-origin-cache",
    scenario.rateOriginCache,
    "--rate-cache-client",
    scenario.rateCacheClient,
    "--scale",
    scenario.scale,
    "--seed",
    scenario.seed,
    "--policy",
    scenario.policy,
  ].map(String);

  const timeout = setTimeout(() => {
    errors.push(`timed out after ${opts.timeoutS} s`);
    killAll("SIGKILL");
  }, opts.timeoutS * 1000);
  try {
    const origin = start("data", 0, [...flags, "--listen", `${opts.host}:0`]);
    await Promise.race([listening, origin.exit]);
    if (interrupted !== undefined) {
      // Stopped while the origin started: nothing more to launch.
    } else if (originAddr) {
      const at = `${originAddr.host}:${originAddr.port}`;
      for (let i = 0; i < scenario.caches; i++) {
        start("cache", i, ["--origin", at, "--index", String(i), "--listen", `${opts.host}:0`]);
      }
      for (let i = 0; i < scenario.clients; i++) {
        start("client", i, ["--origin", at, "--index", String(i)]);
      }
    } else {
      errors.push("the origin exited before listening");
    }
    // When one process fails, the others get a grace period, then are stopped.
    const failed: ReturnType<typeof setTimeout>[] = [];
    for (const c of children) {
      c.exit.then((code) => {
        if (code !== 0) failed.push(setTimeout(stopAll, 15_000));
      });
    }
    await Promise.all(children.map((c) => c.exit));
    for (const t of failed) clearTimeout(t);
  } finally {
    clearTimeout(timeout);
    clearTimeout(escalation);
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  const processes: ProcessInfo[] = [];
  for (const c of children) {
    const code = await c.exit;
    processes.push({
      role: c.role,
      index: c.index,
      runtime: c.runtime,
      pid: c.proc.pid,
      exitCode: code,
      signal: c.signal,
      peakRssBytes: c.summary?.peakRssBytes ?? 0,
    });
    // A child the interruption stopped is no error of its own.
    if (code !== 0 && !(interrupted !== undefined && c.signal !== null)) {
      errors.push(
        `${c.role} ${c.index} exited ${code ?? `on ${c.signal}`}${
          c.summary?.error ? `: ${c.summary.error}` : ""
        }`,
      );
    }
  }
  // A role stopped before its summary is shown as its latest stats said, marked partial.
  const summaries: Summary[] = [];
  for (const c of children) {
    if (c.summary) summaries.push(c.summary);
    else if (c.stats) {
      summaries.push({ ...c.stats, role: c.role, index: c.index, ok: false, partial: true });
    }
  }
  return buildReport(scenario, summaries, processes, (performance.now() - t0) / 1000, errors, {
    interrupted,
  });
}

/**
 * A role's stderr line as one JSON log record: its own record with the
 * process's index and runtime added, or (a line that is not JSON, e.g. a
 * runtime's crash report) the line as the message of an error record.
 */
function jsonLogLine(line: string, who: { role: Role; index: number; runtime: Runtime }): string {
  try {
    const rec = JSON.parse(line);
    if (rec && typeof rec === "object" && !Array.isArray(rec)) {
      return JSON.stringify({ ...rec, index: who.index, runtime: who.runtime });
    }
  } catch {
    // not JSON: wrapped below
  }
  return JSON.stringify({
    t: new Date().toISOString(),
    level: "error",
    role: who.role,
    index: who.index,
    runtime: who.runtime,
    msg: line,
  });
}
