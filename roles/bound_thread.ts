/**
 * The lower bound of a run's scenario, computed in a worker thread
 * (roles/bound_worker.ts) so that `foresight run` never waits on it: the
 * simplex takes milliseconds on the canonical scenario but seconds on the
 * largest programs it still solves exactly, and the run's events, progress
 * and dashboard keep flowing meanwhile. A thread, not a process: the roles
 * stay the run's only child processes.
 *
 * @module
 */

import { Worker } from "node:worker_threads";
import type { Scenario } from "../core/run/scenario.ts";
import { ForesightError } from "../errors.ts";
import type { LowerBound } from "../sim/lower_bound.ts";

/**
 * What the bound reads beyond the scenario: the clients' lists when they are
 * not the seed's (a `--demand`), and the files' sizes when they are not
 * n KiB (a `--dir`), one per id 1..n.
 */
export interface BoundWorkload {
  readonly lists?: readonly (readonly number[])[];
  readonly sizes?: readonly number[];
}

/** A bound and the wall seconds its computation took. */
export interface TimedBound {
  bound: LowerBound;
  computeSeconds: number;
}

/** A bound being computed. */
export interface BoundJob {
  /** The bound; rejects (ForesightError INTERNAL) when the worker fails or is stopped first. */
  readonly result: Promise<TimedBound>;
  /** Ends the worker if it still runs. Safe to call twice. */
  stop(): void;
}

/**
 * Starts computing the bound of `scenario` (with `workload`'s lists and
 * sizes, if given) in a worker thread.
 *
 * The worker is the bundled `bound_worker.js` beside the running bundle
 * (`dist/`), or `bound_worker.ts` beside this file when run from source.
 *
 * @example
 * ```ts
 * const job = boundInWorker(scenario);
 * const { bound, computeSeconds } = await job.result;
 * ```
 */
export function boundInWorker(scenario: Scenario, workload: BoundWorkload = {}): BoundJob {
  const file = import.meta.url.endsWith(".ts") ? "./bound_worker.ts" : "./bound_worker.js";
  const fail = (why: string, cause?: unknown) =>
    new ForesightError("INTERNAL", `Cannot compute the lower bound: ${why}`, { cause });
  let worker: Worker | undefined;
  let finish: ((outcome: TimedBound | ForesightError) => void) | undefined;
  const result = new Promise<TimedBound>((resolve, reject) => {
    finish = (outcome) => {
      finish = undefined;
      void worker?.terminate();
      if (outcome instanceof ForesightError) reject(outcome);
      else resolve(outcome);
    };
  });
  try {
    worker = new Worker(new URL(file, import.meta.url), { workerData: { scenario, ...workload } });
    worker.on("message", (m: TimedBound) => finish?.(m));
    worker.on("error", (e) => finish?.(fail(e.message, e)));
    worker.on("exit", (code) => finish?.(fail(`its worker exited with code ${code}`)));
  } catch (e) {
    finish?.(fail((e as Error).message, e));
  }
  result.catch(() => {}); // a job stopped and never read is no unhandled rejection
  return { result, stop: () => finish?.(fail("stopped before it was done")) };
}
