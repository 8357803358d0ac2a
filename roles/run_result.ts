/**
 * What the processes of a finished run leave for its report: each process
 * and how it ended, what went wrong, and every role's summary (or, for a role
 * stopped before its summary, its latest stats, marked partial).
 *
 * @module
 */

import type { ProcessInfo, Summary } from "../report/run_report.ts";
import type { RoleProcess } from "./role_process.ts";
import type { RunWatch } from "./run_watch.ts";

/** The inputs of `buildReport` that a run's processes give. */
export interface RunResult {
  readonly summaries: Summary[];
  readonly processes: ProcessInfo[];
  /** The watch's failures, the run's errors, then each process's own. */
  readonly errors: string[];
}

/**
 * Sums up a finished run's processes for its report.
 *
 * A lost role is no error: the run went on without it. A child the run
 * stopped (a signal, the origin gone) is no error of its own, and the
 * origin's failure is the watch's; any other exit but 0 is an error.
 *
 * @param children every process of the run, each ended
 * @param watch the run's lost-role watch
 * @param errors what went wrong during the run (not changed)
 * @param interrupted whether a signal interrupted the run
 * @returns the summaries, processes and errors `buildReport` takes
 * @example
 * ```ts
 * const r = await runResult(session.children, session.watch, session.errors, false);
 * buildReport(scenario, r.summaries, r.processes, wallSeconds, r.errors);
 * ```
 */
export async function runResult(
  children: readonly RoleProcess[],
  watch: RunWatch,
  errors: readonly string[],
  interrupted: boolean,
): Promise<RunResult> {
  const all = [...watch.failures, ...errors];
  if (watch.everyClientLost) all.push("every client was lost: none finished");
  const processes: ProcessInfo[] = [];
  const stoppedByRun = interrupted || watch.stopped;
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
    if (code === 0 || lost || (stoppedByRun && c.signal !== null)) continue;
    if (c.role === "origin" && watch.originFailed) continue;
    all.push(
      `${c.role} ${c.index} exited ${code ?? `on ${c.signal}`}${
        c.summary?.error ? `: ${c.summary.error}` : ""
      }`,
    );
  }
  return { summaries: summariesOf(children), processes, errors: all };
}

/** Every role's summary; a role stopped before its summary is shown as its latest stats said, marked partial. */
function summariesOf(children: readonly RoleProcess[]): Summary[] {
  const summaries: Summary[] = [];
  for (const c of children) {
    if (c.summary) summaries.push(c.summary);
    else if (c.stats) {
      summaries.push({ ...c.stats, role: c.role, index: c.index, ok: false, partial: true });
    }
  }
  return summaries;
}
