/** A peer's `chunkBytes` sets the payload of every chunk frame it sends (the relay benchmark sweeps it). */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { decodeMessage, FrameDecoder, type Message } from "../../../protocol/mod.ts";
import { Peer } from "../../../live/peer.ts";
import { silentLogger } from "../../../core/run/log.ts";
import { isForesightError } from "../../../errors.ts";
import type { Conn } from "../../../net/types.ts";
import { pair, recorder, within } from "./peer_pair.ts";

describe("PeerOptions.chunkBytes", () => {
  it("cuts a file into chunk frames of that payload", async () => {
    const { remote, peer, done } = await pair(recorder(), { chunkBytes: 1000 });
    try {
      const data = new Uint8Array(2500).map((_, i) => i);
      await peer.sendFile({ type: "hit", file: 5, size: data.length }, [data]);
      const decoder = new FrameDecoder();
      const got: Message[] = [];
      const reader = remote.readable[Symbol.asyncIterator]();
      while (got.length < 4) {
        const { value, done } = await within(reader.next(), 10_000, "the frames");
        assert.ok(!done, "the connection ended early");
        for (const f of decoder.push(value)) got.push(decodeMessage(f));
      }
      assert.deepEqual(
        got.map((m) => (m.type === "chunk" ? m.data.length : m.type)),
        ["hit", 1000, 1000, 500],
      );
    } finally {
      await done();
    }
  });

  it("refuses a chunk size a receiver cannot read, before it touches the connection", () => {
    const untouched = new Proxy({}, {
      get: (_, key) => assert.fail(`the peer used conn.${String(key)}`),
    }) as Conn;
    for (const chunkBytes of [0, 1.5, 2 * 1_048_576]) {
      assert.throws(
        () => new Peer(untouched, { log: silentLogger, chunkBytes }),
        (e) => isForesightError(e, "CONFIG") && e.message.includes(String(chunkBytes)),
      );
    }
  });
});
