import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { BATCH_BYTES, BATCH_FRAMES, ChunkBatch } from "../../../live/chunk_frame.ts";
import { PagePool } from "../../../core/cache/page_pool.ts";
import { encodeChunk } from "../../../protocol/mod.ts";
import { isForesightError } from "../../../errors.ts";
import { concatBytes } from "../bytes.ts";

describe("ChunkBatch", () => {
  it("frames a whole page in place, in its headroom, as encodeChunk would", () => {
    const page = new PagePool().take();
    page.fill(0xab);
    const batch = new ChunkBatch();
    batch.add(0x01020304, page);
    const [frame, ...rest] = batch.parts;
    assert.deepEqual(rest, []);
    assert.equal(frame!.buffer, page.buffer, "the page itself, not a copy");
    assert.equal(frame!.byteOffset, 0);
    assert.deepEqual(frame, encodeChunk(0x01020304, page));
    // A second reader of the page writes the very same header there.
    const again = new ChunkBatch();
    again.add(0x01020304, page);
    assert.deepEqual(again.parts, batch.parts);
  });

  it("sends any other piece as is after a header of its own, never copied", () => {
    const batch = new ChunkBatch();
    const data = new Uint8Array([9, 8, 7]);
    const midPage = new PagePool().take().subarray(5, 9).fill(3);
    batch.add(7, data);
    batch.add(8, midPage);
    batch.add(9, new Uint8Array(0));
    assert.equal(batch.parts[1], data);
    assert.equal(batch.parts[3], midPage, "no headroom mid-page: the view itself");
    assert.deepEqual(
      concatBytes(batch.parts),
      concatBytes([
        encodeChunk(7, data),
        encodeChunk(8, midPage),
        encodeChunk(9, new Uint8Array(0)),
      ]),
    );
    assert.equal(batch.bytes, 7);
    batch.clear();
    assert.equal(batch.empty, true);
    assert.deepEqual(batch.parts, []);
  });

  it("is full at BATCH_BYTES of payload or BATCH_FRAMES frames, and refuses a frame past that", () => {
    const big = new ChunkBatch();
    big.add(1, new Uint8Array(BATCH_BYTES - 1));
    assert.equal(big.full, false);
    big.add(1, new Uint8Array(1));
    assert.equal(big.full, true);
    const many = new ChunkBatch();
    for (let i = 0; i < BATCH_FRAMES; i++) many.add(i + 1, new Uint8Array([i]));
    assert.equal(many.full, true);
    assert.throws(() => many.add(1, new Uint8Array(1)), (e) => isForesightError(e, "INTERNAL"));
    const expected = Array.from(
      { length: BATCH_FRAMES },
      (_, i) => encodeChunk(i + 1, Uint8Array.of(i)),
    );
    assert.deepEqual(concatBytes(many.parts), concatBytes(expected));
  });
});
