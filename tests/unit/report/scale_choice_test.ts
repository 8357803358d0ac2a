import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { LinkRates } from "../../../report/link_rates.ts";
import {
  HOLD_SHARE,
  MAX_TRIALS,
  nextStep,
  type ScaleTrial,
  stepDown,
  worstClass,
} from "../../../report/scale_choice.ts";

const rate = (achieved: number, shapedMs = 5000) => ({
  transfers: 10,
  bytes: 1,
  shapedMs,
  takenMs: shapedMs / achieved,
  achieved,
});
const rates = (a: number, b = 1, c = 1): LinkRates => ({
  originToCache: rate(a),
  originToClient: rate(b),
  cacheToClient: rate(c),
});
const trial = (scale: number, r: LinkRates): ScaleTrial => ({
  scale,
  ...worstClass(r),
  rates: r,
  wallSeconds: 5,
});

describe("scale choice", () => {
  it("takes the worst busy class of a trial", () => {
    assert.deepEqual(worstClass(rates(1, 0.7, 0.9)), { achieved: 0.7, worst: "originToClient" });
    const idle = { ...rates(1), cacheToClient: rate(0.1, 10) };
    assert.deepEqual(worstClass(idle), { achieved: 1 }, "too little work is not judged");
  });

  it("starts at 20 and keeps the first scale whose links held", () => {
    assert.deepEqual(nextStep([]), { next: 20 });
    const held = nextStep([trial(20, rates(HOLD_SHARE))]);
    assert.ok("scale" in held && held.scale === 20);
    assert.match(held.how, /the largest scale tried at which every link class held 97 %/);
  });

  it("steps down by what the machine achieved, with a margin, and errs low when trials run out", () => {
    // 20 × 0.5 × 0.8 = 8.
    assert.deepEqual(nextStep([trial(20, rates(0.5))]), { next: 8 });
    // 20 × 0.9 × 0.8 = 14.4 → 12.
    assert.deepEqual(nextStep([trial(20, rates(0.9))]), { next: 12 });
    // Barely short still steps below: 20 × 0.96 × 0.8 = 15.4 → 12.
    assert.deepEqual(nextStep([trial(20, rates(0.96))]), { next: 12 });
    const trials = [trial(20, rates(0.5)), trial(8, rates(0.8)), trial(5, rates(0.9))];
    assert.equal(trials.length, MAX_TRIALS);
    const last = nextStep(trials);
    assert.ok("scale" in last);
    assert.equal(last.scale, 3, "5 × 0.9 × 0.8 = 3.6 → 3, taken untried");
    assert.match(last.how, /untried: 3 trials fell short/);
    const floor = nextStep([trial(1, rates(0.3))]);
    assert.ok("scale" in floor && floor.scale === 1);
  });

  it("rounds candidates down to its steps", () => {
    assert.equal(stepDown(13.7), 12);
    assert.equal(stepDown(20), 20);
    assert.equal(stepDown(0.2), 1);
  });
});
