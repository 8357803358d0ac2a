import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ManualClock, offsetClock } from "../../../core/clock.ts";
import { awaitWelcome } from "../../../live/handshake.ts";
import { CANONICAL } from "../../../core/scenario.ts";
import { decodeMessage, encodeMessage, FrameDecoder, type Message } from "../../../protocol/mod.ts";
import { pair, recorder, within } from "./peer_pair.ts";

/** An iterator over `msgs` (what a peer's `messages()` would yield). */
async function* feed(msgs: Message[]): AsyncGenerator<Message> {
  for (const m of msgs) yield m;
}

const welcome = (now?: number): Message => ({
  type: "welcome",
  v: 1,
  index: 0,
  scenario: CANONICAL,
  ...(now === undefined ? {} : { now }),
});

describe("clocks that differ", () => {
  it("an offset clock reads its offset later and sleeps as long", async () => {
    const base = new ManualClock();
    base.advance(1000);
    const ahead = offsetClock(base, 10_000);
    const behind = offsetClock(base, -10_000);
    assert.equal(ahead.now(), 11_000);
    assert.equal(behind.now(), -9_000);
    assert.equal(offsetClock(base, 0), base);
    let woke = false;
    const slept = ahead.sleep(50).then(() => (woke = true));
    base.advance(49);
    await Promise.resolve();
    assert.equal(woke, false);
    base.advance(1);
    await slept;
    assert.equal(woke, true);
  });

  it("the joining side measures the server's clock against its own from the welcome", async () => {
    const clock = new ManualClock();
    clock.advance(5_000);
    const options = { timeoutMs: 1000, send: () => Promise.resolve(), role: "client", clock };
    const ahead = await awaitWelcome(feed([welcome(15_000)]), options);
    assert.equal(ahead.clockOffsetMs, 10_000);
    const behind = await awaitWelcome(feed([welcome(-5_000)]), options);
    assert.equal(behind.clockOffsetMs, -10_000);
    // A server that does not say its time: taken as the same clock.
    assert.equal((await awaitWelcome(feed([welcome()]), options)).clockOffsetMs, 0);
  });

  it("a peer sends request times on the other side's clock and reads file times on its own", async () => {
    const { remote, peer, done } = await pair(recorder(), {});
    try {
      peer.setClockOffset(10_000); // the other side's clock is 10 s ahead
      await peer.send({ type: "request", file: 7, at: 1_000 });
      await peer.send({ type: "request", file: 8 });
      const decoder = new FrameDecoder();
      const got: Message[] = [];
      for await (const chunk of remote.readable) {
        for (const f of decoder.push(chunk)) got.push(decodeMessage(f));
        if (got.length === 2) break;
      }
      assert.deepEqual(got, [
        { type: "request", file: 7, at: 11_000 },
        { type: "request", file: 8 },
      ]);
      const header = (due?: number): Message => ({
        type: "file",
        file: 3,
        size: 0,
        count: 0,
        next: null,
        ...(due === undefined ? {} : { due }),
      });
      await remote.write(encodeMessage(header(50_000)));
      await remote.write(encodeMessage({ type: "hit", file: 3, size: 0, due: 60_000 }));
      const msgs = peer.messages();
      const first = await within(msgs.next(), 5000, "the file header");
      assert.deepEqual(first.value, header(40_000));
      const second = await within(msgs.next(), 5000, "the hit header");
      assert.deepEqual(second.value, { type: "hit", file: 3, size: 0, due: 50_000 });
    } finally {
      await done();
    }
  });
});
