// A run report built the way `foresight run` builds it (buildReport over role summaries),
// for the report, Markdown and bound tests.
import { CANONICAL, type Scenario } from "../../../core/run/scenario.ts";
import { buildReport, type RunReport, type Summary } from "../../../report/run_report.ts";
import type { LowerBound } from "../../../sim/lower_bound.ts";

/** Two clients × 3 files, two caches. */
export const SCENARIO: Scenario = { ...CANONICAL, clients: 2, requests: 3 };

/** An exact bound of 2000 s. */
export const EXACT: LowerBound = {
  seconds: 2000,
  sequentialSeconds: 2500,
  exact: true,
  classes: 29,
};

/**
 * A run whose clients finished at `finish` simulated seconds (the last one is the makespan);
 * a client given `files` < 3 stopped short, and `interrupted` marks it stopped by a signal.
 */
export function runReport(
  options: { finish?: number[]; files?: number[]; interrupted?: string } = {},
): RunReport {
  const finish = options.finish ?? [2010, 2022];
  const summaries: Summary[] = finish.map((t, index) => {
    const files = options.files?.[index] ?? SCENARIO.requests;
    return {
      role: "client",
      index,
      ok: files === SCENARIO.requests,
      files,
      verified: files,
      bytes: files * 1024,
      finishSimSeconds: t,
      ...(options.interrupted === undefined ? {} : { partial: true, simSeconds: t }),
    };
  });
  for (const index of [0, 1]) {
    summaries.push({ role: "cache", index, ok: true, capacityBytes: 1024, peakBytes: 512 });
  }
  summaries.push({ role: "origin", index: 0, ok: true });
  const processes = summaries.map((s) => ({
    role: s.role,
    index: s.index,
    runtime: "node",
    exitCode: options.interrupted === undefined ? 0 : null,
    peakRssBytes: 50 * 1_048_576,
  }));
  return buildReport(SCENARIO, summaries, processes, 100, [], {
    ...(options.interrupted === undefined ? {} : { interrupted: options.interrupted }),
  });
}
