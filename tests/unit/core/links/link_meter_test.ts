import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ManualClock } from "../../../../core/run/clock.ts";
import { Pacer } from "../../../../core/links/pacer.ts";
import {
  achievedShare,
  addShaping,
  LinkMeter,
  shapingFrom,
} from "../../../../core/links/link_meter.ts";

async function flush() {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

/** Moves the clock `ms` forward 1 ms at a time, letting promises settle after each. */
async function tick(clock: ManualClock, ms: number) {
  for (let i = 0; i < ms; i++) {
    clock.advance(1);
    await flush();
  }
}

/**
 * Sends `chunks` chunks of `size` bytes as one transfer, each write taking
 * `writeMs` of the clock (0: the sender keeps up), and returns when it ended.
 */
async function transfer(
  clock: ManualClock,
  pacer: Pacer,
  chunks: number,
  size: number,
  writeMs: number,
  cause?: number,
): Promise<number> {
  let ended = -1;
  void (async () => {
    const start = pacer.begin(cause);
    for (let i = 0; i < chunks; i++) {
      await pacer.take(size);
      if (writeMs > 0) await clock.sleep(writeMs);
    }
    await pacer.finish(pacer.due(start, chunks * size));
    ended = clock.now();
  })();
  await flush();
  while (ended < 0) await tick(clock, 1);
  return ended;
}

describe("LinkMeter", () => {
  it("counts a transfer its pacer kept up with as achieving the shaped rate", async () => {
    const clock = new ManualClock();
    const meter = new LinkMeter();
    const pacer = new Pacer(1000, clock, 20, 100, meter); // 1 byte per ms
    assert.equal(await transfer(clock, pacer, 4, 50, 0), 200);
    assert.deepEqual(meter.snapshot(), {
      transfers: 1,
      bytes: 200,
      shapedMs: 200,
      takenMs: 200,
      lateStartMs: 0,
    });
    assert.equal(achievedShare(meter.snapshot()), 1);
  });

  it("counts a sender that cannot keep up as falling short of the shaped rate", async () => {
    const clock = new ManualClock();
    const meter = new LinkMeter();
    const pacer = new Pacer(1000, clock, 20, 100, meter);
    // Each 50-byte chunk's write takes 100 ms: twice its 50 ms slot.
    assert.equal(await transfer(clock, pacer, 4, 50, 100), 400);
    assert.deepEqual(meter.snapshot(), {
      transfers: 1,
      bytes: 200,
      shapedMs: 200,
      takenMs: 400,
      lateStartMs: 0,
    });
    assert.equal(achievedShare(meter.snapshot()), 0.5);
  });

  it("counts a late end that the next transfer made up on the link's schedule once", async () => {
    const clock = new ManualClock();
    const meter = new LinkMeter();
    const pacer = new Pacer(1000, clock, 20, 100, meter);
    // 100 bytes due at 100; the write takes 150 ms: 50 ms late.
    assert.equal(await transfer(clock, pacer, 1, 100, 150), 150);
    assert.equal(meter.snapshot().takenMs, 150);
    // The next, caused at the due end, starts there and catches up by its own due (300).
    assert.equal(await transfer(clock, pacer, 4, 50, 0, 100), 300);
    assert.deepEqual(meter.snapshot(), {
      transfers: 2,
      bytes: 300,
      shapedMs: 300,
      takenMs: 300,
      lateStartMs: 0,
    });
    assert.equal(achievedShare(meter.snapshot()), 1, "the link kept its schedule");
    // Late again, then idle: nothing to make it up, so the lateness stays counted.
    assert.equal(await transfer(clock, pacer, 1, 100, 150), 450);
    clock.advance(1000);
    await transfer(clock, pacer, 1, 100, 0);
    assert.equal(meter.snapshot().takenMs, 300 + 150 + 100);
  });

  it("does not count a link idle for lack of work as falling short", async () => {
    const clock = new ManualClock();
    const meter = new LinkMeter();
    const pacer = new Pacer(1000, clock, 20, 100, meter);
    await transfer(clock, pacer, 2, 50, 0);
    clock.advance(10_000); // nothing to send for 10 s
    await transfer(clock, pacer, 2, 50, 0);
    assert.deepEqual(meter.snapshot(), {
      transfers: 2,
      bytes: 200,
      shapedMs: 200,
      takenMs: 200,
      lateStartMs: 0,
    });
    assert.equal(achievedShare(meter.snapshot()), 1);
  });

  it("counts a start later than the credit allows (a request that came late) apart, not in the share", async () => {
    const clock = new ManualClock();
    clock.advance(1000);
    const meter = new LinkMeter();
    const pacer = new Pacer(1000, clock, 20, 100, meter);
    // Requested at 500, handled at 1000: the credit makes up 100 ms of the 500.
    assert.equal(await transfer(clock, pacer, 1, 100, 0, 500), 1000);
    assert.deepEqual(meter.snapshot(), {
      transfers: 1,
      bytes: 100,
      shapedMs: 100,
      takenMs: 100,
      lateStartMs: 400,
    });
    assert.equal(achievedShare(meter.snapshot()), 1);
    // Requested 30 ms ago: within the credit, nothing lost.
    const meter2 = new LinkMeter();
    const p2 = new Pacer(1000, clock, 20, 100, meter2);
    await transfer(clock, p2, 1, 100, 0, clock.now() - 30);
    assert.equal(meter2.snapshot().lateStartMs, 0);
  });

  it("does not count waiting for a late upstream's bytes against the forwarding link", async () => {
    const clock = new ManualClock();
    const meter = new LinkMeter();
    const pacer = new Pacer(1000, clock, 20, 100, meter);
    const start = pacer.begin();
    await pacer.take(50);
    clock.advance(300); // the last 50 bytes arrive to be forwarded only at 300
    const arrived = clock.now();
    await pacer.take(50);
    clock.advance(5); // and take 5 ms to write
    await pacer.finish(pacer.due(start, 100), arrived);
    assert.deepEqual(meter.snapshot(), {
      transfers: 1,
      bytes: 100,
      shapedMs: 100,
      takenMs: 105,
      lateStartMs: 0,
    });
  });

  it("sums snapshots, never reports taken below shaped, and reads snapshots from JSON", () => {
    const meter = new LinkMeter();
    meter.record(10, 20, 15); // taken below shaped: counts as shaped
    assert.deepEqual(meter.snapshot(), {
      transfers: 1,
      bytes: 10,
      shapedMs: 20,
      takenMs: 20,
      lateStartMs: 0,
    });
    const sum = addShaping([meter.snapshot(), {
      transfers: 2,
      bytes: 5,
      shapedMs: 10,
      takenMs: 40,
      lateStartMs: 7,
    }]);
    assert.deepEqual(sum, { transfers: 3, bytes: 15, shapedMs: 30, takenMs: 60, lateStartMs: 7 });
    assert.equal(achievedShare(sum), 0.5);
    assert.equal(
      achievedShare({ transfers: 0, bytes: 0, shapedMs: 0, takenMs: 0, lateStartMs: 0 }),
      1,
    );
    assert.deepEqual(shapingFrom(JSON.parse(JSON.stringify(sum))), sum);
    assert.equal(shapingFrom({ transfers: 1, bytes: 2, shapedMs: "3", takenMs: 4 }), undefined);
    assert.equal(shapingFrom({ transfers: 1, bytes: 2, shapedMs: 3, takenMs: 4 })?.lateStartMs, 0);
    assert.equal(shapingFrom(null), undefined);
  });
});
