/**
 * A peer hands a `chunk` frame over as its bytes arrive: one `chunk` message
 * per read it spans, views of the adapter's buffers, never a copied body.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { encodeChunk, type Message } from "../../../protocol/mod.ts";
import { pair, recorder, within } from "./peer_pair.ts";

describe("Peer.messages and chunks in pieces", () => {
  it("yields the bytes of a chunk that has not fully arrived, then the rest", async () => {
    const { remote, peer, done } = await pair(recorder(), {});
    try {
      const payload = new Uint8Array(50_000).map((_, i) => i * 7);
      const bytes = encodeChunk(42, payload);
      const msgs = peer.messages();
      const got: Message[] = [];
      const take = async (until: number) => {
        let n = got.reduce((s, m) => s + (m.type === "chunk" ? m.data.length : 0), 0);
        while (n < until) {
          const { value, done } = await within(msgs.next(), 10_000, "the next message");
          assert.ok(!done && value.type === "chunk" && value.file === 42);
          got.push({ ...value, data: value.data.slice() });
          n += value.data.length;
        }
        return n;
      };
      // The header, the file id and 1000 payload bytes: those are yielded before the rest is sent.
      await remote.write(bytes.slice(0, 9 + 1000));
      assert.equal(await take(1000), 1000);
      await remote.write(bytes.slice(9 + 1000));
      assert.equal(await take(payload.length), payload.length);
      const data = got.map((m) => (m.type === "chunk" ? [...m.data] : [])).flat();
      assert.deepEqual(data, [...payload]);
    } finally {
      await done();
    }
  });
});
