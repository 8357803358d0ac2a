/**
 * `foresight run --scale auto`: a short calibration that picks the largest
 * scale this machine holds for the scenario. Each trial runs the scenario's
 * own roles (every cache and client its own process, on the run's runtime)
 * on a shortened request list, whole, at a candidate scale, and compares its
 * live makespan with the simulator's for the same shortened scenario;
 * report/scale_choice.ts says whether that scale held and which to try next.
 * A loaded machine makes it pick lower, never fail.
 *
 * @module
 */

import process from "node:process";
import type { Scenario } from "../core/run/scenario.ts";
import { ShapingTally } from "../report/link_rates.ts";
import {
  nextStep,
  type ScaleChoice,
  type ScaleTrial,
  TRIAL_CUTOFF,
  trialPace,
  trialRequests,
} from "../report/scale_choice.ts";
import { simulate } from "../sim/simulator.ts";
import { scenarioArgs } from "./role_args.ts";
import { sessionSettings } from "./run.ts";
import { RunSession } from "./run_session.ts";

/** A trial is never cut off sooner than this many wall seconds after its clients started. */
export const MIN_CUTOFF_SECONDS = 2;

/** Wall seconds after which a trial gives up (it then counts as not keeping pace at all). */
export const TRIAL_LIMIT_SECONDS = 120;

/** What a calibration needs of the run. */
export interface CalibrationOptions {
  /** node, deno, bun or mixed: the run's own. */
  readonly runtime: string;
  readonly host: string;
  /** The run's shared secret. */
  readonly secret: string;
  /** Told each trial's result as it ends. */
  readonly onTrial?: (trial: ScaleTrial) => void;
  /** True once the user interrupted: no further trial starts. */
  readonly interrupted?: () => boolean;
}

/**
 * Runs trials until one holds its scale (or they run out) and returns the choice.
 *
 * @param scenario the run's scenario (its scale is ignored)
 * @param options the run's runtime, address and secret, and the hooks
 * @returns the scale, how it was chosen and the trials; undefined when interrupted
 * @example
 * ```ts
 * const choice = await calibrateScale(scenario, { runtime: "node", host: "127.0.0.1", secret });
 * scenario = { ...scenario, scale: choice!.scale };
 * ```
 */
export async function calibrateScale(
  scenario: Scenario,
  options: CalibrationOptions,
): Promise<ScaleChoice | undefined> {
  const t0 = performance.now();
  const fullSim = simulate(scenario).makespan;
  const trials: ScaleTrial[] = [];
  for (;;) {
    const step = nextStep(trials);
    if ("scale" in step) {
      return { ...step, trials, seconds: round1((performance.now() - t0) / 1000) };
    }
    if (options.interrupted?.()) return undefined;
    const requests = trialRequests(scenario.requests, fullSim, step.next);
    const trial = await runTrial({ ...scenario, scale: step.next, requests }, options);
    if (options.interrupted?.()) return undefined;
    trials.push(trial);
    options.onTrial?.(trial);
  }
}

/** One trial: the shortened scenario's roles at its scale, run whole, against its simulation. */
async function runTrial(scenario: Scenario, options: CalibrationOptions): Promise<ScaleTrial> {
  const t0 = performance.now();
  const simSeconds = simulate(scenario).makespan;
  const tally = new ShapingTally();
  const finished = new Map<number, number>();
  let started: number | undefined;
  let cut: ReturnType<typeof setTimeout> | undefined;
  let cutAt: number | undefined;
  const cutoffMs = Math.max(
    1000 * MIN_CUTOFF_SECONDS,
    (1000 * TRIAL_CUTOFF * simSeconds) / scenario.scale,
  );
  const session: RunSession = new RunSession(
    scenario,
    sessionSettings(scenario, {
      runtime: options.runtime,
      host: options.host,
      logLevel: "error",
      timeoutS: TRIAL_LIMIT_SECONDS,
      secret: options.secret,
      stopGraceMs: 1000,
      writeLog: () => {},
      onEvent: (who, e) => {
        if (e.event === "stats" || e.event === "summary") tally.record(who, e);
        if (e.event === "start" && who.role === "origin" && started === undefined) {
          started = performance.now();
          cut = setTimeout(() => {
            cutAt = performance.now();
            session.interrupt("SIGTERM");
          }, cutoffMs);
        }
        if (e.event === "summary" && who.role === "client" && e.ok) {
          const t = e.finishSimSeconds;
          if (typeof t === "number" && Number.isFinite(t)) finished.set(who.index, t);
        }
      },
    }),
  );
  const limit = setTimeout(() => session.timeOut(TRIAL_LIMIT_SECONDS), TRIAL_LIMIT_SECONDS * 1000);
  process.on("SIGINT", session.interrupt);
  process.on("SIGTERM", session.interrupt);
  try {
    await session.launch(scenarioArgs(scenario));
  } finally {
    clearTimeout(cut);
    clearTimeout(limit);
    session.dispose();
    process.off("SIGINT", session.interrupt);
    process.off("SIGTERM", session.interrupt);
  }
  // Stopped at the cutoff: it had got that far (the pace is at most this); a trial that
  // failed otherwise kept no pace at all.
  const cutOff = cutAt !== undefined && started !== undefined;
  const liveSeconds = cutOff
    ? ((cutAt! - started!) / 1000) * scenario.scale
    : finished.size === scenario.clients
    ? Math.max(...finished.values())
    : 0;
  return {
    scale: scenario.scale,
    requests: scenario.requests,
    simSeconds: round3(simSeconds),
    liveSeconds: round3(liveSeconds),
    ...(cutOff ? { cutOff: true } : {}),
    // Cut off, it took at least TRIAL_CUTOFF times its simulated time: it did not hold.
    achieved: cutOff
      ? Math.min(1 / TRIAL_CUTOFF, trialPace(simSeconds, liveSeconds))
      : trialPace(simSeconds, liveSeconds),
    rates: tally.rates(),
    wallSeconds: round1((performance.now() - t0) / 1000),
  };
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
