import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ManualClock } from "../../../core/clock.ts";
import { Pacer } from "../../../core/pacer.ts";
import { isForesightError } from "../../../errors.ts";

async function flush() {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

describe("Pacer", () => {
  it("lets n bytes through n/rate after an idle start", async () => {
    const clock = new ManualClock();
    const pacer = new Pacer(1000, clock); // 1 byte per ms
    let done = false;
    void pacer.take(100).then(() => (done = true));
    clock.advance(99);
    await flush();
    assert.equal(done, false);
    clock.advance(1);
    await flush();
    assert.equal(done, true);
  });

  it("queues back-to-back sends so the average never exceeds the rate", async () => {
    const clock = new ManualClock();
    const pacer = new Pacer(1000, clock);
    const finished: number[] = [];
    const run = (async () => {
      for (let i = 0; i < 10; i++) {
        await pacer.take(50);
        finished.push(clock.now());
      }
    })();
    while (finished.length < 10) {
      clock.advance(1);
      await flush();
    }
    await run;
    assert.deepEqual(finished, [50, 100, 150, 200, 250, 300, 350, 400, 450, 500]);
    assert.equal(pacer.bytes, 500);
  });

  it("gives an idle link no credit", async () => {
    const clock = new ManualClock();
    const pacer = new Pacer(1000, clock);
    clock.advance(10_000);
    let done = false;
    void pacer.take(100).then(() => (done = true));
    clock.advance(50);
    await flush();
    assert.equal(done, false, "idle time must not let 100 bytes through in 50 ms");
  });

  it("rejects a rate that is not positive", () => {
    assert.throws(() => new Pacer(0, new ManualClock()), (e) => isForesightError(e, "CONFIG"));
  });
});
