/** The clocks of core/run/clock.ts: a sleep ends on time, or at once when its signal aborts. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ManualClock, realClock } from "../../../../core/run/clock.ts";

describe("ManualClock", () => {
  it("wakes a sleeper only once time has moved past its end", async () => {
    const clock = new ManualClock();
    let woke = false;
    const done = clock.sleep(10).then(() => (woke = true));
    clock.advance(9);
    await Promise.resolve();
    assert.equal(woke, false);
    clock.advance(1);
    await done;
    assert.equal(clock.pending, 0);
  });

  it("a sleep aborted by its signal rejects with the reason and is forgotten", async () => {
    const clock = new ManualClock();
    const stop = new AbortController();
    const sleeping = clock.sleep(10, stop.signal);
    assert.equal(clock.pending, 1);
    stop.abort(new Error("stopped"));
    await assert.rejects(sleeping, /stopped/);
    assert.equal(clock.pending, 0);
    await assert.rejects(clock.sleep(10, stop.signal), /stopped/, "already aborted: at once");
  });
});

describe("realClock", () => {
  it("a sleep aborted by its signal rejects at once, leaving no timer behind", async () => {
    const stop = new AbortController();
    const t0 = performance.now();
    const sleeping = realClock.sleep(60_000, stop.signal);
    stop.abort(new Error("stopped"));
    await assert.rejects(sleeping, /stopped/);
    assert.ok(performance.now() - t0 < 1000);
  });

  it("a sleep with a signal that never aborts ends on time", async () => {
    const t0 = performance.now();
    await realClock.sleep(20, new AbortController().signal);
    assert.ok(performance.now() - t0 >= 15);
  });
});
