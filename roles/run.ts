/**
 * Runs a scenario on this machine: every role its own OS process on the
 * runtime asked for, their JSON-line events read from stdout (each checked
 * against `RoleEventSchema`: a line that is no event is logged as a warning
 * and skipped), their logs passed on, and the report built from their
 * summaries. `foresight run` (roles/run_cli.ts) adds the progress, the
 * dashboard and the report files.
 *
 * @module
 */

import process from "node:process";
import { type ChildProcess, spawn } from "node:child_process";
import type { Scenario } from "../core/scenario.ts";
import { buildReport, type ProcessInfo, type Summary } from "./report.ts";
import { packageRoot, type Role, roleCommand, type Runtime, runtimeOf } from "./role_command.ts";
import { RunWatch, type WatchTimes } from "./run_watch.ts";
import { parseRoleEvent, type RoleEvent, type StatsEvent } from "../protocol/role_event.ts";

export { packageRoot, roleCommand, RUNTIME_CHOICES, runtimeOf } from "./role_command.ts";

interface Child {
  role: Role;
  index: number;
  runtime: Runtime;
  proc: ChildProcess;
  summary?: Summary;
  /** Its latest `stats` event: what the report shows of it when it printed no summary. */
  stats?: StatsEvent;
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
 * Runs a scenario end to end and returns the report.
 *
 * A cache or client lost mid-run (killed, or dropped by the origin: stopped,
 * silent) is treated as the roles treat it: the run goes on, the report marks
 * it `lost`, and is ok when every surviving client has every file. A role
 * the origin dropped that still runs {@link STOP_GRACE_MS} later gets
 * SIGKILL. Every role is stopped when the run cannot finish: the origin
 * failed (the others get {@link STOP_GRACE_MS} to end by themselves), or a
 * cache or client ended and the origin did not drop it (roles/run_watch.ts).
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
    onEvent?: (child: { role: Role; index: number; pid: number }, e: RoleEvent) => void;
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
    /** Every role's `--idle-ms` (default: the roles' own, 30 s). */
    idleMs?: number;
    /** The waits of the lost-role decisions (default: WATCH_TIMES of roles/run_watch.ts). */
    watchTimes?: Partial<WatchTimes>;
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

  /** A log record of the run itself, in the roles' format, at `level` and above the threshold. */
  const note = (level: "info" | "warn" | "error", msg: string, fields: Record<string, unknown>) => {
    const levels = ["debug", "info", "warn", "error"];
    if (levels.indexOf(level) < levels.indexOf(opts.logLevel)) return;
    writeLog(
      logFormat === "json"
        ? JSON.stringify({ t: new Date().toISOString(), level, role: "run", msg, ...fields }) + "\n"
        : `foresight run: ${msg}${fields.reason ? ` (${fields.reason})` : ""}\n`,
    );
  };
  // Lost roles: the watch decides, act() carries its decisions out and arms its next timer.
  const watch = new RunWatch(scenario.clients, {
    dropGraceMs: opts.stopGraceMs ?? STOP_GRACE_MS,
    originFailedMs: opts.stopGraceMs ?? STOP_GRACE_MS,
    ...opts.watchTimes,
  });
  let watchTimer: ReturnType<typeof setTimeout> | undefined;
  let failuresTold = 0;
  const act = () => {
    watch.tick(performance.now());
    for (const failure of watch.failures.slice(failuresTold)) note("error", failure, {});
    failuresTold = watch.failures.length;
    for (let a = watch.poll(); a; a = watch.poll()) {
      if (a.type === "kill") {
        const c = children.find((c) => c.role === a.role && c.index === a.index);
        note("warn", `stopping ${a.role} ${a.index} (${a.signal})`, { reason: a.why });
        c?.proc.kill(a.signal);
      } else {
        note("warn", "stopping every role", { reason: a.why });
        stopAll();
      }
    }
    clearTimeout(watchTimer);
    const next = watch.nextTimeout();
    if (next !== undefined) {
      watchTimer = setTimeout(act, Math.max(0, next - performance.now()) + 1);
    }
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
      ...(opts.idleMs === undefined ? [] : ["--idle-ms", String(opts.idleMs)]),
    ], { stdio: ["ignore", "pipe", "pipe"], env });
    const child: Child = {
      role,
      index,
      runtime,
      proc,
      signal: null,
      // "close": after its exit and the end of its stdout, so its summary is in.
      exit: new Promise((resolve) => {
        proc.on("close", (code, signal) => {
          child.signal = signal;
          resolve(code);
        });
        proc.on("error", (e) => {
          errors.push(`${role} ${index}: cannot start ${cmd}: ${e.message}`);
          resolve(127);
        });
      }),
    };
    watch.started({ role, index });
    child.exit.then((code) => {
      watch.exited({ role, index }, code, child.signal, performance.now(), child.summary?.error);
      act();
    });
    let buf = "";
    proc.stdout!.setEncoding("utf8");
    proc.stdout!.on("data", (d: string) => {
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.trim() === "") continue;
        const parsed = parseRoleEvent(line);
        if (!parsed.ok) {
          // Not an event (a stray print, a runtime's warning): noted and skipped.
          note("warn", `${role} ${index} printed a line that is no event`, {
            reason: parsed.reason,
            line: line.length > 200 ? `${line.slice(0, 200)}…` : line,
          });
          continue;
        }
        const e = parsed.event;
        if (e.event === "summary") child.summary = e;
        if (e.event === "stats") child.stats = e;
        if (e.event === "listening" && role === "data") {
          originAddr = { host: opts.host, port: e.port };
          onListening();
        }
        if (role === "data") {
          if (e.event === "cache-lost" || e.event === "client-lost") {
            note("warn", `the origin dropped ${e.event.slice(0, -5)} ${e.index} while ${e.phase}`, {
              lost: e.event.slice(0, -5),
              index: e.index,
              phase: e.phase,
              reason: e.reason,
            });
          }
          if (e.event === "cache-rejoined") {
            note(
              "info",
              `cache ${e.index} rejoined: a cache started outside the run took its place`,
              {
                index: e.index,
              },
            );
          }
          watch.event({ role }, e, performance.now());
          act();
        }
        opts.onEvent?.({ role, index, pid: proc.pid! }, e);
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
    watch.stopping();
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
    watch.stopping();
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
    // Until every process has ended; the watch stops those it must (see act).
    await Promise.all(children.map((c) => c.exit));
  } finally {
    clearTimeout(timeout);
    clearTimeout(escalation);
    clearTimeout(watchTimer);
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  errors.unshift(...watch.failures);
  if (watch.everyClientLost) errors.push("every client was lost: none finished");
  const processes: ProcessInfo[] = [];
  const stoppedByRun = interrupted !== undefined || watch.stopped;
  for (const c of children) {
    const code = await c.exit;
    const lost = watch.lost(c.role, c.index);
    processes.push({
      role: c.role,
      index: c.index,
      runtime: c.runtime,
      pid: c.proc.pid,
      exitCode: code,
      signal: c.signal,
      peakRssBytes: c.summary?.peakRssBytes ?? 0,
      ...(lost ? { lost } : {}),
    });
    // A lost role is no error: the run went on without it. A child the run stopped (a
    // signal, the origin gone) is no error of its own; the origin's failure is the watch's.
    if (code === 0 || lost || (stoppedByRun && c.signal !== null)) continue;
    if (c.role === "data" && watch.originFailed) continue;
    errors.push(
      `${c.role} ${c.index} exited ${code ?? `on ${c.signal}`}${
        c.summary?.error ? `: ${c.summary.error}` : ""
      }`,
    );
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
