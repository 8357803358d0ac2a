/**
 * How good a run was: the lower bound of its scenario (sim/lower_bound.ts)
 * and the makespan's ratio to it, as a report carries them — and why a run
 * that did not complete gets no ratio.
 *
 * @module
 */

import { boundMethod, type LowerBound } from "../sim/lower_bound.ts";

/** A report's lower bound: the bound, and the makespan's ratio to it. */
export interface ReportBound extends LowerBound {
  /** Makespan ÷ {@link LowerBound.seconds}; null when there is no meaningful ratio. */
  ratio: number | null;
  /** Makespan ÷ {@link LowerBound.sequentialSeconds}; null with `ratio`. */
  sequentialRatio: number | null;
  /** Why `ratio` is null, e.g. "the run was interrupted by SIGINT". */
  noRatio?: string;
  /** Wall seconds the bound took to compute (in a worker thread, during the run). */
  computeSeconds?: number;
}

/** What decides whether a report's simulated seconds are a makespan. */
interface Outcome {
  scenario: { clients: number; requests: number };
  simSeconds: number;
  clients: readonly { index: number; files: number; partial?: boolean }[];
  interrupted?: string;
}

/**
 * Why a run's simulated seconds are no makespan (so no ratio to the bound
 * means anything), or undefined when every client got every file it asked for.
 *
 * @example
 * ```ts
 * incompleteBecause({ ...report, interrupted: "SIGINT" }); // "the run was interrupted by SIGINT"
 * ```
 */
export function incompleteBecause(r: Outcome): string | undefined {
  if (r.interrupted !== undefined) return `the run was interrupted by ${r.interrupted}`;
  const short = r.clients.filter((c) => c.partial === true || c.files < r.scenario.requests);
  const n = short.length + Math.max(0, r.scenario.clients - r.clients.length);
  if (n === 0) return undefined;
  return n === 1 && short.length === 1
    ? `client ${short[0]!.index} did not get every file it asked for`
    : `${n} of ${r.scenario.clients} clients did not get every file they asked for`;
}

/**
 * The bound as a report carries it: the ratio when the run completed, and
 * otherwise `ratio: null` and the reason.
 *
 * @param r the report (its scenario, makespan, clients, interruption)
 * @param bound the scenario's bound ({@link scenarioBound})
 * @param computeSeconds how long the bound took, if measured
 * @example
 * ```ts
 * const report = { ...runReport, lowerBound: reportBound(runReport, scenarioBound(s), 0.02) };
 * report.lowerBound.ratio; // e.g. 1.011
 * ```
 */
export function reportBound(r: Outcome, bound: LowerBound, computeSeconds?: number): ReportBound {
  const timed = computeSeconds === undefined ? {} : { computeSeconds };
  const why = incompleteBecause(r) ??
    (bound.seconds > 0 ? undefined : "the bound is 0 s (every file fits the warm-up)");
  if (why !== undefined) {
    return { ...bound, ratio: null, sequentialRatio: null, noRatio: why, ...timed };
  }
  return {
    ...bound,
    ratio: r.simSeconds / bound.seconds,
    sequentialRatio: bound.sequentialSeconds > 0 ? r.simSeconds / bound.sequentialSeconds : null,
    ...timed,
  };
}

/**
 * The bound and the ratio in words, for the terminal, Markdown and the
 * dashboard: e.g. `{ bound: "2181.8 s (exact fluid LP)", ratio: "1.011" }`,
 * or `ratio: "not meaningful: the run was interrupted by SIGINT"`.
 *
 * @param b the report's bound
 * @param clients the scenario's clients (to say why a bound is not exact)
 * @example
 * ```ts
 * const t = boundText(report.lowerBound, report.scenario.clients);
 * console.log(`lower bound ${t.bound}; makespan ÷ bound ${t.ratio}`);
 * ```
 */
export function boundText(
  b: Pick<ReportBound, "seconds" | "exact" | "classes" | "ratio" | "noRatio">,
  clients: number,
): { bound: string; method: string; ratio: string } {
  const method = boundMethod(b, clients);
  return {
    bound: `${b.seconds.toFixed(1)} s (${method})`,
    method,
    ratio: b.ratio === null
      ? `not meaningful: ${b.noRatio ?? "the run did not complete"}`
      : b.ratio.toFixed(3),
  };
}
