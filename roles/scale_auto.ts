/**
 * `foresight run --scale auto`: a short calibration that picks the largest
 * scale this machine holds for the scenario. Each trial starts the scenario's
 * own roles (the same processes, runtime and links as the run), lets them run
 * for a few wall seconds from the clients' start, reads what their links
 * achieved against their shaped rate from their stats (core/link_meter.ts),
 * and stops them; report/scale_choice.ts says whether that scale held and
 * which to try next. A loaded machine makes it pick lower, never fail.
 *
 * @module
 */

import process from "node:process";
import type { Scenario } from "../core/scenario.ts";
import { ShapingTally } from "../report/link_rates.ts";
import { nextStep, type ScaleChoice, type ScaleTrial, worstClass } from "../report/scale_choice.ts";
import { scenarioArgs } from "./role_args.ts";
import { sessionSettings } from "./run.ts";
import { RunSession } from "./run_session.ts";

/** Wall seconds a trial runs from the clients' start. */
export const TRIAL_SECONDS = 3;

/** Wall seconds after which a trial that has not started its clients gives up. */
export const TRIAL_LIMIT_SECONDS = 90;

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
  /** Wall seconds per trial (default {@link TRIAL_SECONDS}). */
  readonly trialSeconds?: number;
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
  const trials: ScaleTrial[] = [];
  for (;;) {
    const step = nextStep(trials);
    if ("scale" in step) {
      return { ...step, trials, seconds: round1((performance.now() - t0) / 1000) };
    }
    if (options.interrupted?.()) return undefined;
    const trial = await runTrial({ ...scenario, scale: step.next }, options);
    if (options.interrupted?.()) return undefined;
    trials.push(trial);
    options.onTrial?.(trial);
  }
}

/** One trial: the scenario's roles at its scale for a few seconds from the start. */
async function runTrial(scenario: Scenario, options: CalibrationOptions): Promise<ScaleTrial> {
  const t0 = performance.now();
  const tally = new ShapingTally();
  let stop: ReturnType<typeof setTimeout> | undefined;
  let started = false;
  const session: RunSession = new RunSession(
    scenario,
    sessionSettings(scenario, {
      runtime: options.runtime,
      host: options.host,
      logLevel: "error",
      timeoutS: TRIAL_LIMIT_SECONDS,
      secret: options.secret,
      statsMs: 200,
      stopGraceMs: 1000,
      writeLog: () => {},
      onEvent: (who, e) => {
        if (e.event === "stats" || e.event === "summary") tally.record(who, e);
        if (e.event === "start" && who.role === "data") {
          started = true;
          stop ??= setTimeout(() => session.interrupt("SIGTERM"), 1000 * trialSeconds(options));
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
    clearTimeout(stop);
    clearTimeout(limit);
    session.dispose();
    process.off("SIGINT", session.interrupt);
    process.off("SIGTERM", session.interrupt);
  }
  const rates = tally.rates();
  return {
    scale: scenario.scale,
    // A trial whose clients never started (the machine too slow even to launch it) held nothing.
    ...(started ? worstClass(rates) : { achieved: 0 }),
    rates,
    wallSeconds: round1((performance.now() - t0) / 1000),
  };
}

function trialSeconds(options: CalibrationOptions): number {
  return options.trialSeconds ?? TRIAL_SECONDS;
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
