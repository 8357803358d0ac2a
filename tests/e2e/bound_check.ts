/**
 * What a `foresight run` report must say about how good the run was
 * (run_test.ts, dashboard_test.ts): the scenario's lower bound, and the
 * makespan's ratio to it.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { Scenario } from "../../core/run/scenario.ts";
import { CHUNK_BYTES } from "../../protocol/frame.ts";
import type { RunReport } from "../../report/run_report.ts";
import { scenarioBound } from "../../sim/lower_bound.ts";

/** Wall-clock noise a live makespan may lose, in wall seconds (see {@link liveSlack}). */
const WALL_NOISE_S = 0.05;

/**
 * How far below the lower bound a live makespan may legitimately land, in
 * simulated seconds.
 *
 * Every link sends in disjoint slots at its rate; a client's links only from
 * its start (its requests are dated after it), and a cache holds at most its
 * capacity before the start. So a live run is a feasible point of the bound's
 * program, but for what the measurement itself loses:
 * - a chunk goes out at the start of its slot, so a client holds its last
 *   file up to one chunk's slot (64 KiB at its slowest link: 0.0625
 *   simulated s at 1000 KiB/s) before the transfer's modelled end;
 * - wall-clock noise, times the scale: a pacer's timer may fire early by up
 *   to an event-loop turn (Node dates a timer from the loop's cached time),
 *   and the clients start one after another while the caches' inflow counts
 *   from the first (and the processes' clocks agree to ~0.02 ms). Each is a
 *   few ms; 50 ms covers them on a loaded machine.
 * Being slower than the model, the usual case, only raises the ratio; runs
 * here land at 1.002–1.05 × the bound with `foresight`.
 *
 * @example
 * ```ts
 * assert.ok(report.simSeconds >= bound - liveSlack(scenario));
 * ```
 */
export function liveSlack(s: Scenario): number {
  const slowest = Math.min(s.rateOriginClient, s.rateCacheClient) * 1024;
  return CHUNK_BYTES / slowest + WALL_NOISE_S * s.scale;
}

/**
 * Asserts that a complete run's report carries its scenario's lower bound
 * and makespan ÷ bound, and that the makespan is no further below the bound
 * than {@link liveSlack} allows.
 *
 * @returns the report's bound
 */
export function assertBound(r: RunReport): NonNullable<RunReport["lowerBound"]> {
  const b = r.lowerBound;
  assert.ok(b, "the report has the lower bound");
  const want = scenarioBound(r.scenario);
  assert.ok(
    Math.abs(b.seconds - want.seconds) <= 1e-9 * want.seconds,
    `bound ${b.seconds} s, computed here ${want.seconds} s`,
  );
  assert.equal(b.exact, want.exact);
  assert.equal(typeof b.computeSeconds, "number");
  assert.ok(b.seconds > 0, "a bound above 0 s");
  assert.equal(typeof b.ratio, "number", `a ratio: ${b.noRatio}`);
  const ratio = b.ratio!;
  assert.ok(
    Math.abs(ratio - r.simSeconds / b.seconds) <= 1e-9 * ratio,
    `ratio ${ratio} = makespan ${r.simSeconds} s ÷ bound ${b.seconds} s`,
  );
  if (b.exact) {
    const slack = liveSlack(r.scenario);
    assert.ok(
      ratio >= 1 - slack / b.seconds,
      `makespan ${r.simSeconds} s is below the bound ${b.seconds} s by more than ${slack} s`,
    );
  }
  return b;
}
