import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ManualClock, offsetClock } from "../../../core/run/clock.ts";
import { awaitWelcome } from "../../../live/handshake.ts";
import { CANONICAL } from "../../../core/run/scenario.ts";
import { decodeMessage, encodeMessage, FrameDecoder, type Message } from "../../../protocol/mod.ts";
import { pair, recorder, within } from "./peer_pair.ts";

/** An iterator over `msgs` (what a peer's `messages()` would yield). */
async function* feed(msgs: Message[]): AsyncGenerator<Message> {
  for (const m of msgs) yield m;
}

const welcome = (times: { received?: number; now?: number }): Message => ({
  type: "welcome",
  v: 1,
  index: 0,
  scenario: CANONICAL,
  ...times,
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

  it("the joining side measures the server's clock as NTP does, the server's wait left out", async () => {
    // The server's clock is 10 s ahead: this side sends its hello at 4990 (its clock), the
    // server has it at 15_000 (its own: 5000 here), holds it 2 s (a cache not yet ready),
    // answers at 17_000, and the welcome arrives here at 7010.
    const clock = new ManualClock();
    clock.advance(7010);
    const options = { timeoutMs: 1000, send: () => Promise.resolve(), role: "client", clock };
    const ahead = await awaitWelcome(
      feed([welcome({ received: 15_000, now: 17_000 })]),
      { ...options, sentAt: 4990 },
    );
    assert.equal(ahead.clockOffsetMs, 10_000);
    // 10 s behind, with no wait.
    const behind = await awaitWelcome(
      feed([welcome({ received: -5_000, now: -5_000 })]),
      { ...options, sentAt: 7000 },
    );
    assert.equal(behind.clockOffsetMs, (-5_000 - 7000 + -5_000 - 7010) / 2);
    // A challenge: the answer to it is this side's last message before the welcome.
    const sent: Message[] = [];
    const challenged = await awaitWelcome(
      feed([
        { type: "challenge", nonce: "ab".repeat(32) },
        welcome({ received: 17_010, now: 17_010 }),
      ]),
      {
        ...options,
        secret: "s",
        sentAt: 0,
        send: (m: Message) => {
          sent.push(m);
          return Promise.resolve();
        },
      },
    );
    assert.equal(sent[0]?.type, "auth");
    assert.equal(challenged.clockOffsetMs, 10_000);
    // The same clock, within what the round trip leaves uncertain (±5 ms): taken as the same.
    const same = await awaitWelcome(
      feed([welcome({ received: 7004, now: 7004 })]),
      { ...options, sentAt: 7000 },
    );
    assert.equal(same.clockOffsetMs, 0);
    // Only the server's send time: taken as the arrival's; no time at all: the same clock.
    assert.equal(
      (await awaitWelcome(feed([welcome({ now: 15_000 })]), options)).clockOffsetMs,
      15_000 - 7010,
    );
    assert.equal((await awaitWelcome(feed([welcome({})]), options)).clockOffsetMs, 0);
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
