import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { LinkRates } from "../../../report/link_rates.ts";
import {
  HOLD_SHARE,
  MAX_TRIALS,
  MIN_TRIAL_REQUESTS,
  nextStep,
  type ScaleTrial,
  stepDown,
  trialPace,
  trialRequests,
} from "../../../report/scale_choice.ts";

const idle = { transfers: 0, bytes: 0, shapedMs: 0, takenMs: 0, lateStartMs: 0, achieved: 1 };
const rates: LinkRates = { originToCache: idle, originToClient: idle, cacheToClient: idle };

/** A trial at `scale` whose live makespan was `live` against 100 simulated seconds. */
const trial = (scale: number, live: number): ScaleTrial => ({
  scale,
  requests: 50,
  simSeconds: 100,
  liveSeconds: live,
  achieved: trialPace(100, live),
  rates,
  wallSeconds: 5,
});

describe("scale choice", () => {
  it("starts at 20 and keeps the first scale whose shortened run kept within 3 % of its simulation", () => {
    assert.deepEqual(nextStep([]), { next: 20 });
    const held = nextStep([trial(20, 100 / HOLD_SHARE)]);
    assert.ok("scale" in held && held.scale === 20);
    assert.match(held.how, /the largest scale tried at which a shortened run kept within 3 %/);
    assert.match(held.how, /×20 50 requests 103\.1 s live vs 100\.0 s simulated/);
  });

  it("steps down by the pace the machine kept, with a margin, and errs low when trials run out", () => {
    // 20 × 0.5 × 0.8 = 8.
    assert.deepEqual(nextStep([trial(20, 200)]), { next: 8 });
    // 20 × 0.9 × 0.8 = 14.4 → 12.
    assert.deepEqual(nextStep([trial(20, 100 / 0.9)]), { next: 12 });
    // Barely behind still steps below: 20 × 0.96 × 0.8 = 15.4 → 12.
    assert.deepEqual(nextStep([trial(20, 100 / 0.96)]), { next: 12 });
    // A trial that did not finish kept no pace: the smallest step next.
    assert.deepEqual(nextStep([trial(20, 0)]), { next: 0.5 });
    const trials = [trial(20, 200), trial(8, 125), trial(5, 100 / 0.9)];
    assert.equal(trials.length, MAX_TRIALS);
    const last = nextStep(trials);
    assert.ok("scale" in last);
    assert.equal(last.scale, 3, "5 × 0.9 × 0.8 = 3.6 → 3, taken untried");
    assert.match(last.how, /untried: 3 trials fell behind their simulation/);
    const floor = nextStep([trial(0.5, 300)]);
    assert.ok("scale" in floor && floor.scale === 0.5);
    assert.match(floor.how, /the smallest scale it tries/);
  });

  it("takes a trial's pace as simulated ÷ live, at most 1", () => {
    assert.equal(trialPace(100, 200), 0.5);
    assert.equal(trialPace(100, 99.5), 1, "a hair faster than the model: kept pace");
    assert.equal(trialPace(100, 100.9), 0.991);
    assert.equal(trialPace(100, 0), 0, "a trial that failed kept no pace");
  });

  it("rounds candidates down to its steps", () => {
    assert.equal(stepDown(13.7), 12);
    assert.equal(stepDown(20), 20);
    assert.equal(stepDown(0.2), 0.5);
  });

  it("shortens a trial to about 4 s of wall time, within the scenario's requests", () => {
    assert.equal(trialRequests(200, 181.4, 20), 88);
    assert.equal(trialRequests(200, 181.4, 1), MIN_TRIAL_REQUESTS);
    assert.equal(trialRequests(200, 181.4, 2), MIN_TRIAL_REQUESTS, "9 → the fewest, 12");
    assert.equal(trialRequests(60, 5, 20), 60, "a short scenario runs whole");
    assert.equal(trialRequests(10, 181.4, 1), 10, "never more than the scenario's own");
    assert.equal(trialRequests(200, 0, 20), 200);
  });
});
