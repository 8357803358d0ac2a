/**
 * Runs a scenario on this machine: every role its own OS process on the
 * runtime asked for, their JSON-line events read from stdout (each checked
 * against `RoleEventSchema`: a line that is no event is logged as a warning
 * and skipped) and their logs passed on (roles/role_process.ts), watched and
 * stopped as roles/run_session.ts does, and the report built from their
 * summaries (roles/run_result.ts). `foresight run` (roles/run_cli.ts) adds
 * the progress, the dashboard and the report files.
 *
 * @module
 */

import process from "node:process";
import { mkdirSync } from "node:fs";
import type { Scenario } from "../core/run/scenario.ts";
import type { RoleEvent } from "../protocol/role_event.ts";
import { buildReport, type RunReport } from "../report/run_report.ts";
import { roleEnv, scenarioArgs } from "./role_args.ts";
import type { Role } from "./role_command.ts";
import { runResult } from "./run_result.ts";
import { RunSession, type RunSessionSettings } from "./run_session.ts";
import type { WatchTimes } from "./run_watch.ts";

export { packageRoot, roleCommand, RUNTIME_CHOICES, runtimeOf } from "./role_command.ts";

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

/** The settings of {@link runScenario}. */
export interface RunOptions {
  /** node, deno, bun, or mixed (origin on Deno, caches on Bun, clients on Node). */
  runtime: string;
  /** The loopback address the roles listen on and connect to. */
  host: string;
  /** The roles' log level, and the run's own: debug, info, warn, error. */
  logLevel: string;
  /** Give up after this many wall seconds: every role gets SIGKILL. */
  timeoutS: number;
  /** Called with every event of every role. */
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
  /** The folder the origin serves (the scenario's `files` must be its count). */
  dir?: string;
  /** Clients keep their verified files under `out/client-K`. */
  out?: string;
  /** A demand file every client is handed as its `--want` (each takes its index's list). */
  want?: string;
  /** A folder (made if missing) for every role's `--trace-inputs` file; none: no traces. */
  traceInputs?: string;
  /** The waits of the lost-role decisions (default: WATCH_TIMES of roles/run_watch.ts). */
  watchTimes?: Partial<WatchTimes>;
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
 * @param scenario the scenario every role runs
 * @param opts the runtime, address, logging, limits and callbacks of the run
 * @returns the report; `ok` false when the run failed, `interrupted` set on a signal
 * @throws {ForesightError} CONFIG when a role's command cannot be made (e.g. `dist/` missing
 *   for Node, an unknown runtime)
 * @example
 * ```ts
 * const report = await runScenario(scenario, { runtime: "node", host: "127.0.0.1", logLevel: "warn", timeoutS: 120, adminPort: 0 });
 * ```
 */
export async function runScenario(scenario: Scenario, opts: RunOptions): Promise<RunReport> {
  const t0 = performance.now();
  if (opts.traceInputs !== undefined) mkdirSync(opts.traceInputs, { recursive: true });
  const session = new RunSession(scenario, sessionSettings(scenario, opts));
  process.on("SIGINT", session.interrupt);
  process.on("SIGTERM", session.interrupt);
  const timeout = setTimeout(() => session.timeOut(opts.timeoutS), opts.timeoutS * 1000);
  try {
    await session.launch(scenarioArgs(scenario));
  } finally {
    clearTimeout(timeout);
    session.dispose();
    process.off("SIGINT", session.interrupt);
    process.off("SIGTERM", session.interrupt);
  }
  const { interrupted } = session;
  const r = await runResult(
    session.children,
    session.watch,
    session.errors,
    interrupted !== undefined,
  );
  return buildReport(
    scenario,
    r.summaries,
    r.processes,
    (performance.now() - t0) / 1000,
    r.errors,
    {
      interrupted,
    },
  );
}

/**
 * The run's settings with every default resolved.
 *
 * @example
 * ```ts
 * const session = new RunSession(scenario, sessionSettings(scenario, opts));
 * ```
 */
export function sessionSettings(scenario: Scenario, opts: RunOptions): RunSessionSettings {
  const count = 1 + scenario.caches + scenario.clients;
  const stopGraceMs = opts.stopGraceMs ?? STOP_GRACE_MS;
  return {
    runtime: opts.runtime,
    host: opts.host,
    caches: scenario.caches,
    adminPort: opts.adminPort,
    statsMs: opts.statsMs ?? (count <= 16 ? 100 : count <= 128 ? 250 : 1000),
    logLevel: opts.logLevel,
    logFormat: opts.logFormat ?? "pretty",
    idleMs: opts.idleMs,
    dir: opts.dir,
    out: opts.out,
    want: opts.want,
    traceInputs: opts.traceInputs,
    // The roles get every setting as a flag: FORESIGHT_* variables meant for this command stay here.
    env: roleEnv(opts.secret),
    writeLog: opts.writeLog ?? ((text: string) => void process.stderr.write(text)),
    stopGraceMs,
    watchTimes: { dropGraceMs: stopGraceMs, originFailedMs: stopGraceMs, ...opts.watchTimes },
    onEvent: opts.onEvent,
  };
}
