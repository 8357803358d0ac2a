import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ManualClock } from "../../../../core/run/clock.ts";
import { CREDIT_AHEAD_MS, CREDIT_MS, Pacer } from "../../../../core/links/pacer.ts";
import { isForesightError } from "../../../../errors.ts";

async function flush() {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

/** Runs `steps` 1 ms ticks of the clock, letting promises settle after each. */
async function tick(clock: ManualClock, steps: number) {
  for (let i = 0; i < steps; i++) {
    clock.advance(1);
    await flush();
  }
}

describe("Pacer", () => {
  it("reserve says how long until each slot begins, as take waits, and sleep waits that on its clock", async () => {
    const clock = new ManualClock();
    const pacer = new Pacer(1000, clock); // 1 byte per ms
    pacer.begin();
    assert.deepEqual([pacer.reserve(50), pacer.reserve(50), pacer.reserve(100)], [0, 50, 100]);
    clock.advance(120);
    assert.equal(pacer.reserve(10), 80, "the fourth slot begins when the third ends, at 200");
    assert.equal(pacer.bytes, 210);
    let woke = false;
    void pacer.sleep(80).then(() => woke = true);
    await tick(clock, 79);
    assert.equal(woke, false);
    await tick(clock, 1);
    assert.equal(woke, true);
    assert.equal(new Pacer(Infinity, clock).reserve(1e9), 0, "unpaced: never a wait");
  });

  it("sends each chunk at the start of its slot and settles when the last slot ends", async () => {
    const clock = new ManualClock();
    const pacer = new Pacer(1000, clock); // 1 byte per ms
    const sent: number[] = [];
    let settled = -1;
    void (async () => {
      const start = pacer.begin();
      for (let i = 0; i < 4; i++) {
        await pacer.take(50);
        sent.push(clock.now());
      }
      await pacer.finish(pacer.due(start, 200));
      settled = clock.now();
    })();
    await flush();
    await tick(clock, 250);
    assert.deepEqual(
      sent,
      [0, 50, 100, 150],
      "a transfer of S bytes: chunks spaced by their slots",
    );
    assert.equal(settled, 200, "the transfer ends S/rate after it began");
    assert.equal(pacer.bytes, 200);
  });

  it("gives an idle link no credit", async () => {
    const clock = new ManualClock();
    const pacer = new Pacer(1000, clock);
    await pacer.take(100);
    clock.advance(10_000);
    const sent: number[] = [];
    void (async () => {
      for (let i = 0; i < 3; i++) {
        await pacer.take(100);
        sent.push(clock.now());
      }
    })();
    await flush();
    await tick(clock, 300);
    assert.deepEqual(sent, [10_000, 10_100, 10_200], "idle time must not let bytes through early");
  });

  it("lets a late sender catch up by at most the slack", async () => {
    const clock = new ManualClock();
    const pacer = new Pacer(1000, clock, 20);
    await pacer.take(100); // slot 0..100
    clock.advance(110); // 10 ms late: within the slack
    await pacer.take(100); // slot 100..200, sent at once
    assert.equal(clock.now(), 110);
    let sent = -1;
    void pacer.take(100).then(() => (sent = clock.now())); // slot 200..300
    await flush();
    await tick(clock, 100);
    assert.equal(sent, 200, "the schedule continues from the slot, not from the late send");
  });

  it("schedules a transfer from its cause, within the credit either way", () => {
    const clock = new ManualClock();
    clock.advance(1000);
    const pacer = new Pacer(1000, clock, 20, 100);
    assert.equal(pacer.begin(970), 970, "a request made 30 ms ago: its transfer starts then");
    const p2 = new Pacer(1000, clock, 20, 100);
    assert.equal(p2.begin(500), 900, "credit is capped at 100 ms");
    const p3 = new Pacer(1000, clock, 20, 100);
    assert.equal(
      p3.begin(1030),
      1030,
      "a cause 30 ms ahead (early bytes): its transfer starts then",
    );
    const p5 = new Pacer(1000, clock, 20, 100);
    assert.equal(p5.begin(2000), 1100, "credit ahead is capped at 100 ms too");
    const p4 = new Pacer(1000, clock, 20, 100);
    void p4.take(500); // busy until 1500
    assert.equal(p4.begin(970), 1500, "a busy link starts the transfer when it is free");
    assert.equal(p4.due(1500, 200), 1700);
  });

  it("ends a transfer whose last bytes came late when they went out, as a fluid link would", async () => {
    const clock = new ManualClock();
    const pacer = new Pacer(1000, clock);
    const start = pacer.begin();
    await pacer.take(50); // slot 0..50, but the next bytes arrive only at 300
    clock.advance(300);
    await pacer.take(50);
    let ended = -1;
    void pacer.finish(pacer.due(start, 100)).then(() => (ended = clock.now()));
    await flush();
    assert.equal(ended, 300, "due at 100, last bytes out at 300: ends at 300, not a slot later");
    assert.equal(pacer.begin(), 300, "the link is free from then");
  });

  it("sends every chunk whose slot begins within the slot grain at once, then waits", async () => {
    const clock = new ManualClock();
    const pacer = new Pacer(1000, clock, 20, 100, undefined, 120); // 1 byte per ms, 120 ms grain
    const sent: number[] = [];
    let settled = -1;
    void (async () => {
      const start = pacer.begin();
      for (let i = 0; i < 6; i++) {
        await pacer.take(50);
        sent.push(clock.now());
      }
      await pacer.finish(pacer.due(start, 300));
      settled = clock.now();
    })();
    await flush();
    await tick(clock, 350);
    // Slots begin at 0, 50, 100, 150, 200, 250: the first three within 120 ms of 0 go at
    // once; 150 is further, so the sender sleeps until 150 and sends 150, 200, 250 then.
    assert.deepEqual(
      sent,
      [0, 0, 0, 150, 150, 150],
      "one wake per grain, never before a slot's grain",
    );
    assert.equal(settled, 300, "the transfer still ends when its last slot does");
  });

  it("keeps a transfer's schedule when its sender stalls: the late bytes go at once", async () => {
    const clock = new ManualClock();
    const pacer = new Pacer(1000, clock, 20); // 1 byte per ms
    const sent: number[] = [];
    let settled = -1;
    void (async () => {
      const start = pacer.begin();
      for (let i = 0; i < 4; i++) {
        await pacer.take(50);
        sent.push(clock.now());
        if (i === 0) clock.advance(120); // the process is not run for 120 ms
      }
      await pacer.finish(pacer.due(start, 200));
      settled = clock.now();
    })();
    await flush();
    await tick(clock, 300);
    assert.deepEqual(
      sent,
      [0, 120, 120, 150],
      "behind its slots after the stall, the sender catches up, then follows them again",
    );
    assert.equal(
      settled,
      200,
      "the stall cost the transfer nothing: it ends S/rate after it began",
    );
  });

  it("makes up a stall of up to a second between a request and its transfer", () => {
    const clock = new ManualClock();
    clock.advance(5000);
    assert.equal(CREDIT_MS, 1000);
    const p1 = new Pacer(1000, clock);
    assert.equal(p1.begin(4300), 4300, "asked 700 ms ago (the machine stalled): starts then");
    const p2 = new Pacer(1000, clock);
    assert.equal(
      p2.begin(1000),
      5000 - CREDIT_MS,
      "further back than the credit: as far as it goes",
    );
    const p3 = new Pacer(1000, clock);
    assert.equal(p3.begin(5700), 5000 + CREDIT_AHEAD_MS, "a cause ahead is capped much closer");
  });

  it("frees the link at a late transfer's due, so a transfer caused then makes up the lateness", async () => {
    const clock = new ManualClock();
    const pacer = new Pacer(1000, clock);
    const start = pacer.begin();
    await pacer.take(100); // slot 0..100; the write is done only at 180
    clock.advance(180);
    await pacer.finish(pacer.due(start, 100));
    assert.equal(clock.now(), 180, "the sender was busy until its last bytes went");
    assert.equal(
      pacer.begin(100),
      100,
      "the next request, dated at the due end, starts its transfer there, as in the model",
    );
  });

  it("rejects a rate that is not positive", () => {
    assert.throws(() => new Pacer(0, new ManualClock()), (e) => isForesightError(e, "CONFIG"));
  });
});
