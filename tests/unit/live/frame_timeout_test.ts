import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Conn } from "../../../net/types.ts";
import { pair, recorder, sleep, within } from "./peer_pair.ts";
import { encodeChunk, encodeMessage, type Message } from "../../../protocol/mod.ts";

const FRAME_MS = 200;

/** Drains `conn` so that its writes never wait. */
function drain(conn: Conn): Promise<void> {
  return (async () => {
    try {
      for await (const _ of conn.readable) { /* discard */ }
    } catch { /* closed by the other side */ }
  })();
}

describe("a frame that stalls mid-way", () => {
  it("is cut off with TIMEOUT after the frame limit, and only that connection is closed", async () => {
    const log = recorder();
    const stalled = await pair(log, { frameMs: FRAME_MS });
    const idle = await pair(log, { frameMs: FRAME_MS });
    const drained = [drain(stalled.remote), drain(idle.remote)];
    // A 64 KiB chunk frame (65545 bytes): send its header and 7 body bytes, then nothing.
    const frame = encodeChunk(3, new Uint8Array(65_536));
    const stalledMsgs = stalled.peer.messages();
    const idleMsgs = idle.peer.messages();
    // The idle connection sends one whole frame, then stays silent between frames.
    await idle.remote.write(encodeMessage({ type: "request", file: 1 }));
    assert.deepEqual((await idleMsgs.next()).value, { type: "request", file: 1 });
    const idleNext = idleMsgs.next();

    const t0 = performance.now();
    await stalled.remote.write(frame.subarray(0, 12));
    // A chunk is handed over as its bytes arrive: the 3 payload bytes first.
    for (let got = 0; got < 3;) {
      const piece = (await within(stalledMsgs.next(), 5_000, "the first piece")).value;
      assert.ok(piece?.type === "chunk" && piece.file === 3, "a piece of the chunk");
      got += piece.data.length;
    }
    const outcome = await within(stalledMsgs.next(), 5_000, "the stalled read").then(
      (r) => ({ ok: true as const, r }),
      (e: Error & { code?: string }) => ({ ok: false as const, e }),
    );
    const waited = performance.now() - t0;
    assert.equal(outcome.ok, false, "the iterator ended without an error");
    const e = (outcome as { e: Error & { code?: string } }).e;
    assert.equal(e.code, "TIMEOUT", `${e.code}: ${e.message}`);
    assert.match(e.message, /12 of 65545 bytes arrived, then nothing for \d+ ms/);
    assert.ok(waited >= FRAME_MS && waited < FRAME_MS + 2_000, `cut off after ${waited} ms`);
    const closedWith = await stalled.conn.closed;
    assert.ok(closedWith instanceof Error, "the stalled connection was closed with a reason");
    assert.ok(stalled.peer.isClosed);
    const warn = log.records.find((r) => r.msg === "closing connection: a frame stalled");
    assert.ok(warn !== undefined && warn.level === "warn", "the reason was logged");
    assert.match(JSON.stringify(warn.fields), /TIMEOUT/);

    // The idle connection, silent between frames for longer still, is open and works.
    await sleep(4 * FRAME_MS);
    assert.equal(idle.peer.isClosed, false, "a connection idle between frames was closed");
    await idle.remote.write(encodeMessage({ type: "request", file: 2 }));
    assert.deepEqual((await within(idleNext, 5_000, "the idle read")).value, {
      type: "request",
      file: 2,
    });
    await idle.peer.send({ type: "miss", file: 2 }); // its writes work too

    await stalled.done();
    await idle.done();
    await Promise.all(drained);
  });

  it("a frame whose header alone is incomplete is cut off too", async () => {
    const stalled = await pair(recorder(), { frameMs: FRAME_MS });
    const drained = drain(stalled.remote);
    const msgs = stalled.peer.messages();
    await stalled.remote.write(encodeMessage({ type: "request", file: 9 }).subarray(0, 3));
    await assert.rejects(
      within(msgs.next(), 5_000, "the stalled read"),
      (e: Error & { code?: string }) => {
        assert.equal(e.code, "TIMEOUT");
        assert.match(e.message, /3 of the 5 header bytes arrived, then nothing for/);
        return true;
      },
    );
    assert.ok(await stalled.conn.closed instanceof Error);
    await stalled.done();
    await drained;
  });

  it("a frame trickled byte by byte is cut off at the limit, not kept alive by each byte", async () => {
    const stalled = await pair(recorder(), { frameMs: FRAME_MS });
    const drained = drain(stalled.remote);
    const msgs = stalled.peer.messages();
    const frame = encodeMessage({ type: "stop", reason: "x".repeat(1000) });
    const result = msgs.next().then(() => undefined, (e: Error & { code?: string }) => e);
    const t0 = performance.now();
    let sent = 0;
    for (; sent < frame.length && !stalled.peer.isClosed; sent++) {
      try {
        await stalled.remote.write(frame.subarray(sent, sent + 1));
      } catch {
        break;
      }
      await sleep(FRAME_MS / 8);
    }
    const e = await within(result, 5_000, "the trickled read");
    const waited = performance.now() - t0;
    assert.ok(e instanceof Error, "the trickled frame was accepted");
    assert.equal((e as { code?: string }).code, "TIMEOUT");
    assert.match(e.message, new RegExp(`only \\d+ of ${frame.length} bytes arrived in \\d+ ms`));
    assert.ok(waited < FRAME_MS + 2_000, `cut off after ${waited} ms`);
    assert.ok(sent < frame.length, "every byte was sent before the cut-off");
    await stalled.done();
    await drained;
  });

  it("time the caller spends on a message does not count against the next frame", async () => {
    const { remote, peer, done } = await pair(recorder(), { frameMs: FRAME_MS });
    const drained = drain(remote);
    const msgs = peer.messages();
    const first = encodeMessage({ type: "request", file: 4 });
    const second = encodeMessage({ type: "request", file: 5 });
    // One write: the first frame whole and the second's first 6 bytes.
    const both = new Uint8Array(first.length + 6);
    both.set(first);
    both.set(second.subarray(0, 6), first.length);
    await remote.write(both);
    const got: Message[] = [];
    got.push((await msgs.next()).value as Message);
    // The caller is busy with the first message far longer than the limit, while
    // the second frame sits half received; the peer is not to blame for that.
    await sleep(5 * FRAME_MS);
    const next = msgs.next();
    await sleep(FRAME_MS / 4);
    await remote.write(second.subarray(6));
    got.push((await within(next, 5_000, "the second read")).value as Message);
    assert.deepEqual(got, [{ type: "request", file: 4 }, { type: "request", file: 5 }]);
    assert.equal(peer.isClosed, false);
    await done();
    await drained;
  });
});
