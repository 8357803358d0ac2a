/** A message sent with `sendBetween` goes out between the chunks of a file under way, not behind it. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { decodeMessage, FrameDecoder, type Message } from "../../../protocol/mod.ts";
import type { Conn } from "../../../net/types.ts";
import { pair, recorder, within } from "./peer_pair.ts";

/** Reads `remote`'s messages on demand: `next(n)` gives the next `n`, a chunk as its payload length. */
function frames(remote: Conn): (n: number) => Promise<(string | number)[]> {
  const decoder = new FrameDecoder();
  const got: Message[] = [];
  const reader = remote.readable[Symbol.asyncIterator]();
  return async (n) => {
    while (got.length < n) {
      const { value, done } = await within(reader.next(), 10_000, "the frames");
      assert.ok(!done, "the connection ended early");
      for (const f of decoder.push(value)) got.push(decodeMessage(f));
    }
    return got.splice(0, n).map((m) => (m.type === "chunk" ? m.data.length : m.type));
  };
}

describe("Peer.sendBetween", () => {
  it("sends a message between the chunks of the file under way, ahead of the files queued", async () => {
    const { remote, peer, done } = await pair(recorder(), { chunkBytes: 1000 });
    try {
      const next = frames(remote);
      let more!: () => void;
      const held = new Promise<void>((r) => (more = r));
      // A push whose second half is not there yet when the miss is sent.
      const body = (async function* () {
        yield new Uint8Array(1000);
        await held;
        yield new Uint8Array(1000);
      })();
      const sends = [
        peer.sendFile({ type: "file", file: 8, size: 2000, count: 1, next: null }, body),
        peer.sendFile({ type: "file", file: 9, size: 1000, count: 1, next: null }, [
          new Uint8Array(1000),
        ]),
      ];
      assert.deepEqual(await next(2), ["file", 1000], "the push has begun");
      const miss = peer.sendBetween({ type: "miss", file: 12, next: null });
      more();
      assert.deepEqual(
        await next(4),
        ["miss", 1000, "file", 1000],
        "the miss goes before the push's next chunk, not behind the push or the next one",
      );
      await within(Promise.all([...sends, miss]), 10_000, "the sends");
    } finally {
      await done();
    }
  });

  it("sends a message in its turn when no file is under way", async () => {
    const { remote, peer, done } = await pair(recorder(), { chunkBytes: 1000 });
    try {
      const next = frames(remote);
      await peer.sendBetween({ type: "miss", file: 3, next: null });
      await peer.sendFile({ type: "file", file: 4, size: 1000, count: 1, next: null }, [
        new Uint8Array(1000),
      ]);
      assert.deepEqual(await next(3), ["miss", "file", 1000]);
    } finally {
      await done();
    }
  });
});
