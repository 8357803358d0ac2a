/**
 * `--scale auto`: the pure part of choosing the largest scale this machine
 * holds for a scenario. roles/scale_auto.ts runs each trial (the scenario's
 * own roles, briefly, at a candidate scale) and hands its link rates here;
 * this file says whether that scale held and which to try next.
 *
 * A trial holds when every link class that carried enough work achieved at
 * least {@link HOLD_SHARE} of its shaped rate. One that did not says how much
 * the machine moved: the next candidate is the scale times the share achieved
 * times a margin, rounded down to a step of {@link SCALE_STEPS}. Trials stop
 * at the first scale that holds, or after {@link MAX_TRIALS}, when the next
 * candidate is taken untried: on a loaded machine the choice errs low, never fails.
 *
 * @module
 */

import { type LinkRates, MIN_SHAPED_MS } from "./link_rates.ts";
import type { LinkName } from "./run_timeline.ts";

/** The scales `--scale auto` picks from, largest first. */
export const SCALE_STEPS: readonly number[] = [20, 16, 12, 10, 8, 6, 5, 4, 3, 2, 1.5, 1];

/** A trial holds its scale when every busy class achieved this share of its shaped rate. */
export const HOLD_SHARE = 0.97;

/** The next candidate is the scale a trial achieved times this (headroom for the rest of the run). */
export const MARGIN = 0.8;

/** Trials before the choice is made untried. */
export const MAX_TRIALS = 3;

/** One trial: a scale, what its links achieved, how long it took. */
export interface ScaleTrial {
  scale: number;
  /** The lowest achieved share among the classes that carried enough work (1: none fell short). */
  achieved: number;
  /** The class that achieved least, if any carried enough work. */
  worst?: LinkName;
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
 * The lowest achieved share among the classes with at least
 * `MIN_SHAPED_MS` of link time, and which class it was.
 *
 * @example
 * ```ts
 * worstClass(rates); // { achieved: 0.61, worst: "originToCache" }
 * ```
 */
export function worstClass(rates: LinkRates): { achieved: number; worst?: LinkName } {
  let out: { achieved: number; worst?: LinkName } = { achieved: 1 };
  for (const name of Object.keys(rates) as LinkName[]) {
    const r = rates[name];
    if (r.shapedMs >= MIN_SHAPED_MS && r.achieved < out.achieved) {
      out = { achieved: r.achieved, worst: name };
    }
  }
  return out;
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
 * nextStep([{ scale: 20, achieved: 0.5, rates, wallSeconds: 9 }]); // { next: 8 }
 * nextStep([{ scale: 8, achieved: 0.99, rates, wallSeconds: 9 }]); // { scale: 8, how: "…" }
 * ```
 */
export function nextStep(trials: readonly ScaleTrial[]): { next: number } | {
  scale: number;
  how: string;
} {
  const last = trials[trials.length - 1];
  if (!last) return { next: SCALE_STEPS[0]! };
  const tried = trials.map((t) => `×${t.scale} ${(100 * t.achieved).toFixed(0)} %`).join(", ");
  if (last.achieved >= HOLD_SHARE) {
    return {
      scale: last.scale,
      how: `chosen by --scale auto: the largest scale tried at which every link class held ` +
        `${(100 * HOLD_SHARE).toFixed(0)} % of its shaped rate (trials: ${tried})`,
    };
  }
  const smallest = SCALE_STEPS[SCALE_STEPS.length - 1]!;
  const next = Math.min(stepDown(last.scale * last.achieved * MARGIN), stepBelow(last.scale));
  if (last.scale <= smallest) {
    return {
      scale: smallest,
      how: `chosen by --scale auto: the smallest scale it tries, though even that fell short ` +
        `(trials: ${tried})`,
    };
  }
  if (trials.length >= MAX_TRIALS) {
    return {
      scale: next,
      how: `chosen by --scale auto untried: ${MAX_TRIALS} trials fell short, and the last ` +
        `achieved ${(100 * last.achieved).toFixed(0)} % at ×${last.scale} (trials: ${tried})`,
    };
  }
  return { next };
}

/** The step just below `scale`. */
function stepBelow(scale: number): number {
  return SCALE_STEPS.find((s) => s < scale - 1e-9) ?? SCALE_STEPS[SCALE_STEPS.length - 1]!;
}
