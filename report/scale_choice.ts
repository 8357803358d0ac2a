/**
 * `--scale auto`: the pure part of choosing the largest scale this machine
 * holds for a scenario. roles/scale_auto.ts runs each trial — the scenario's
 * own roles (every cache and client its own process, as in the run) on a
 * shortened request list, whole, at a candidate scale — and hands its live
 * makespan and the simulator's for the same shortened scenario here; this
 * file says whether that scale held and which to try next.
 *
 * A trial holds when its live makespan is within {@link HOLD_SHARE} of the
 * simulation's (its pace, simulated ÷ live, is at least that). Link rates
 * alone would mislead here: the first seconds of a run, when every client
 * asks every cache at once, fall short of the shaped rate at any scale on a
 * busy machine, yet off the critical path they cost the makespan little. A
 * trial that did not hold says how fast the machine went: the next candidate
 * is the scale times its pace times a margin, rounded down to a step of
 * {@link SCALE_STEPS}. Trials stop at the first scale that holds, or after
 * {@link MAX_TRIALS}, when the next candidate is taken untried: on a loaded
 * machine the choice errs low, never fails.
 *
 * @module
 */

import type { LinkRates } from "./link_rates.ts";

/** The scales `--scale auto` picks from, largest first. */
export const SCALE_STEPS: readonly number[] = [20, 16, 12, 10, 8, 6, 5, 4, 3, 2, 1.5, 1, 0.75, 0.5];

/** A trial holds its scale when its live makespan is within 3 %: its pace is at least this. */
export const HOLD_SHARE = 0.97;

/** The next candidate is the scale a trial kept pace at times this (headroom for the full run). */
export const MARGIN = 0.8;

/** Trials before the choice is made untried. */
export const MAX_TRIALS = 3;

/** One trial: a scale, how the shortened run kept pace with its simulation, how long it took. */
export interface ScaleTrial {
  scale: number;
  /** Requests per client of the shortened scenario it ran. */
  requests: number;
  /** The simulator's makespan of the shortened scenario (simulated seconds). */
  simSeconds: number;
  /**
   * The live makespan (simulated seconds); for a trial stopped at the cutoff,
   * how far it had got (a lower bound); 0 when it failed.
   */
  liveSeconds: number;
  /** True when it was stopped at {@link TRIAL_CUTOFF}. */
  cutOff?: boolean;
  /** Its pace: `simSeconds / liveSeconds`, at most 1 (0 when it failed). */
  achieved: number;
  /** What its links achieved against their shaped rate (for the record). */
  rates: LinkRates;
  /** Wall seconds the trial took, its launch and stop included. */
  wallSeconds: number;
}

/** How `--scale auto` chose: the scale, a sentence saying how, and the trials. */
export interface ScaleChoice {
  scale: number;
  how: string;
  trials: ScaleTrial[];
  /** Wall seconds of the whole calibration. */
  seconds: number;
}

/**
 * The largest step at most `x` (the smallest step when `x` is below it).
 *
 * @example
 * ```ts
 * stepDown(13.7); // 12
 * ```
 */
export function stepDown(x: number): number {
  return SCALE_STEPS.find((s) => s <= x + 1e-9) ?? SCALE_STEPS[SCALE_STEPS.length - 1]!;
}

/**
 * What to do after `trials`: try another scale, or the choice.
 *
 * @example
 * ```ts
 * nextStep([{ scale: 20, requests: 60, simSeconds: 50, liveSeconds: 100, achieved: 0.5, rates, wallSeconds: 9 }]);
 * // { next: 8 }
 * ```
 */
export function nextStep(trials: readonly ScaleTrial[]): { next: number } | {
  scale: number;
  how: string;
} {
  const last = trials[trials.length - 1];
  if (!last) return { next: SCALE_STEPS[0]! };
  const tried = trials.map((t) =>
    `×${t.scale} ${t.requests} requests ${t.cutOff ? "over " : ""}${
      t.liveSeconds.toFixed(1)
    } s live vs ` +
    `${t.simSeconds.toFixed(1)} s simulated`
  ).join(", ");
  if (last.achieved >= HOLD_SHARE) {
    return {
      scale: last.scale,
      how: `chosen by --scale auto: the largest scale tried at which a shortened run kept ` +
        `within ${(100 * (1 - HOLD_SHARE)).toFixed(0)} % of its simulation (trials: ${tried})`,
    };
  }
  const smallest = SCALE_STEPS[SCALE_STEPS.length - 1]!;
  const next = Math.min(stepDown(last.scale * last.achieved * MARGIN), stepBelow(last.scale));
  if (last.scale <= smallest) {
    return {
      scale: smallest,
      how: `chosen by --scale auto: the smallest scale it tries, though even that fell ` +
        `behind its simulation (trials: ${tried})`,
    };
  }
  if (trials.length >= MAX_TRIALS) {
    return {
      scale: next,
      how: `chosen by --scale auto untried: ${MAX_TRIALS} trials fell behind their ` +
        `simulation, the last at ${(100 * last.achieved).toFixed(0)} % of its pace at ` +
        `×${last.scale} (trials: ${tried})`,
    };
  }
  return { next };
}

/** The step just below `scale`. */
function stepBelow(scale: number): number {
  return SCALE_STEPS.find((s) => s < scale - 1e-9) ?? SCALE_STEPS[SCALE_STEPS.length - 1]!;
}

/** Wall seconds a trial's shortened run aims to last from its clients' start. */
export const TRIAL_SECONDS = 4;

/** The fewest requests per client a trial makes (fewer say little about the run). */
export const MIN_TRIAL_REQUESTS = 12;

/**
 * A trial still running this many times its simulated makespan ÷ scale after
 * its clients started is stopped: the machine kept at most 1 ÷ this of the
 * pace, which is pace enough to tell where to look next.
 */
export const TRIAL_CUTOFF = 2.5;

/**
 * Requests per client of a trial at `scale`: enough for about
 * {@link TRIAL_SECONDS} of wall time, the simulated makespan growing about
 * in proportion to them; at least {@link MIN_TRIAL_REQUESTS}, at most the
 * scenario's own.
 *
 * @param requests the scenario's requests per client
 * @param simSeconds the simulator's makespan of the whole scenario
 * @param scale the trial's scale
 * @example
 * ```ts
 * trialRequests(200, 181.4, 20); // 88: about 80 simulated seconds, 4 s of wall time at ×20
 * ```
 */
export function trialRequests(requests: number, simSeconds: number, scale: number): number {
  if (!(simSeconds > 0)) return requests;
  const aimed = Math.round((requests * TRIAL_SECONDS * scale) / simSeconds);
  return Math.min(requests, Math.max(MIN_TRIAL_REQUESTS, aimed));
}

/**
 * A trial's pace: the simulated makespan ÷ the live one, at most 1; 0 for a
 * trial that failed (`live` 0). No slack for the wall clock's few
 * milliseconds (clients starting one after another): times the scale, they
 * are part of what a scale costs, and a scenario of a few simulated seconds
 * keeps within 3 % only at a low scale.
 *
 * @example
 * ```ts
 * trialPace(100, 200); // 0.5
 * ```
 */
export function trialPace(simSeconds: number, liveSeconds: number): number {
  if (!(liveSeconds > 0)) return 0;
  return liveSeconds <= simSeconds ? 1 : Math.round((1000 * simSeconds) / liveSeconds) / 1000;
}
