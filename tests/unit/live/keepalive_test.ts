import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Conn } from "../../../net/types.ts";
import { loadAdapter } from "../../../net/select.ts";
import { Peer } from "../../../live/peer.ts";
import { pair, recorder, sleep, within } from "./peer_pair.ts";
import { encodeChunk, encodeMessage, type Message } from "../../../protocol/mod.ts";

const IDLE_MS = 300;
/** Longest the stall watch may take past the limit (one check period is IDLE_MS / 6). */
const SLACK_MS = 500;

/** Reads `conn` to its end, keeping the bytes. */
function collect(conn: Conn): { bytes: () => number; ended: Promise<void> } {
  let n = 0;
  const ended = (async () => {
    try {
      for await (const chunk of conn.readable) n += chunk.length;
    } catch { /* closed by the other side */ }
  })();
  return { bytes: () => n, ended };
}

type Outcome =
  | { ok: true; r: IteratorResult<Message> }
  | { ok: false; e: Error & { code?: string } };

/** How `next` settles, within `ms`. */
function settle(next: Promise<IteratorResult<Message>>, ms: number): Promise<Outcome> {
  return within(next, ms, "the read").then(
    (r) => ({ ok: true as const, r }),
    (e: Error & { code?: string }) => ({ ok: false as const, e }),
  );
}

/** Asserts the read ended with the idle `TIMEOUT`, `waited` ms after the silence began. */
function assertIdle(outcome: Outcome, waited: number): void {
  assert.equal(outcome.ok, false, "the iterator ended without an error");
  const e = (outcome as { e: Error & { code?: string } }).e;
  assert.equal(e.code, "TIMEOUT", `${e.code}: ${e.message}`);
  assert.match(
    e.message,
    new RegExp(`^Cannot keep the connection to .+:\\d+: nothing received for ${IDLE_MS} ms$`),
  );
  assert.ok(
    waited >= IDLE_MS - 20 && waited < 2 * IDLE_MS + SLACK_MS,
    `cut off after ${Math.round(waited)} ms`,
  );
}

describe("keepalive", () => {
  it("keeps two idle peers connected with pings the roles never see", async () => {
    const log = recorder();
    const adapter = await loadAdapter();
    const accepted: Conn[] = [];
    const listener = await adapter.listen({ host: "127.0.0.1", port: 0 }, (c) => accepted.push(c));
    const a = new Peer(await adapter.connect(listener.address), { log, idleMs: IDLE_MS });
    while (accepted.length < 1) await sleep(5);
    const b = new Peer(accepted[0]!, { log, idleMs: IDLE_MS });
    const aMsgs = a.messages();
    const bMsgs = b.messages();
    // A handshake-like first exchange, then keepalive on both sides.
    await a.send({ type: "start" });
    assert.deepEqual((await within(bMsgs.next(), 5_000, "b's first read")).value, {
      type: "start",
    });
    a.keepAlive();
    b.keepAlive();
    const aNext = aMsgs.next();
    const bNext = bMsgs.next();
    let yielded = false;
    aNext.then(() => yielded = true, () => yielded = true);
    bNext.then(() => yielded = true, () => yielded = true);

    await sleep(5 * IDLE_MS);
    assert.equal(a.isClosed, false, "a was closed while idle with pings flowing");
    assert.equal(b.isClosed, false, "b was closed while idle with pings flowing");
    assert.equal(yielded, false, "a ping (or an error) was yielded to the caller");
    assert.ok(!log.records.some((r) => r.level === "warn"), JSON.stringify(log.records));

    // A real message still goes through, both ways.
    await a.send({ type: "request", file: 7 });
    assert.deepEqual((await within(bNext, 5_000, "b's read")).value, { type: "request", file: 7 });
    await b.send({ type: "miss", file: 7 });
    assert.deepEqual((await within(aNext, 5_000, "a's read")).value, { type: "miss", file: 7 });

    a.close(new Error("test over"));
    b.close(new Error("test over"));
    await Promise.all([a.conn.closed, b.conn.closed]);
    await listener.close();
  });

  it("closes with TIMEOUT a raw peer that sends nothing, and pings it meanwhile", async () => {
    const log = recorder();
    const silent = await pair(log, { idleMs: IDLE_MS });
    const got = collect(silent.remote);
    const msgs = silent.peer.messages();
    const next = msgs.next();
    const t0 = performance.now();
    silent.peer.keepAlive();
    const outcome = await settle(next, 5_000);
    const waited = performance.now() - t0;
    assertIdle(outcome, waited);
    assert.ok(silent.peer.isClosed);
    assert.ok((await silent.conn.closed) instanceof Error, "closed with a reason");
    await within(got.ended, 5_000, "the raw side's end");
    // At least one 5-byte ping (a third of the limit), and the error frame.
    const ping = encodeMessage({ type: "ping" }).length;
    assert.ok(got.bytes() > ping, `the raw side got ${got.bytes()} bytes`);
    const warn = log.records.find((r) => r.msg === "closing connection: the peer went silent");
    assert.ok(warn !== undefined && warn.level === "warn", "the reason was logged");
    await silent.done();
  });

  it("closes with TIMEOUT a peer that goes silent mid-stream", async () => {
    const log = recorder();
    const quiet = await pair(log, { idleMs: IDLE_MS });
    const got = collect(quiet.remote);
    const msgs = quiet.peer.messages();
    quiet.peer.keepAlive();
    // A stream of whole frames for a while (past the idle limit), then nothing.
    for (let i = 1; i <= 8; i++) {
      await quiet.remote.write(encodeChunk(5, new Uint8Array(1000)));
      const m = await within(msgs.next(), 5_000, `chunk ${i}`);
      assert.equal(m.value?.type, "chunk");
      await sleep(IDLE_MS / 4);
    }
    const t0 = performance.now();
    const outcome = await settle(msgs.next(), 5_000);
    assertIdle(outcome, performance.now() - t0);
    await within(got.ended, 5_000, "the raw side's end");
    await quiet.done();
  });

  it("does not count time the caller spends on a message", async () => {
    const log = recorder();
    const busy = await pair(log, { idleMs: IDLE_MS });
    const got = collect(busy.remote);
    const msgs = busy.peer.messages();
    busy.peer.keepAlive();
    await busy.remote.write(encodeMessage({ type: "request", file: 1 }));
    assert.deepEqual((await within(msgs.next(), 5_000, "the read")).value, {
      type: "request",
      file: 1,
    });
    // The caller holds the message for several idle limits: not the peer's silence.
    await sleep(4 * IDLE_MS);
    assert.equal(busy.peer.isClosed, false, "closed while the caller was busy");
    await busy.remote.write(encodeMessage({ type: "request", file: 2 }));
    assert.deepEqual((await within(msgs.next(), 5_000, "the next read")).value, {
      type: "request",
      file: 2,
    });
    await busy.done();
    await got.ended;
  });

  it("sends nothing and times nothing out before keepalive is on", async () => {
    const log = recorder();
    const early = await pair(log, { idleMs: IDLE_MS });
    const got = collect(early.remote);
    const msgs = early.peer.messages();
    const next = msgs.next();
    await sleep(4 * IDLE_MS);
    assert.equal(early.peer.isClosed, false);
    assert.equal(got.bytes(), 0, "something was sent before the handshake was over");
    await early.remote.write(encodeMessage({ type: "hello", v: 1, role: "client" }));
    assert.equal((await within(next, 5_000, "the hello")).value?.type, "hello");
    await early.done();
    await got.ended;
  });
});
