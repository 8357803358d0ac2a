import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { chunkFrame, chunkScratch } from "../../../live/chunk_frame.ts";
import { PagePool } from "../../../core/cache/page_pool.ts";
import { encodeChunk } from "../../../protocol/mod.ts";

describe("chunkFrame", () => {
  it("frames a whole page in place, in its headroom, as encodeChunk would", () => {
    const page = new PagePool().take();
    page.fill(0xab);
    const frame = chunkFrame(0x01020304, page, chunkScratch());
    assert.equal(frame.buffer, page.buffer, "the page itself, not a copy");
    assert.equal(frame.byteOffset, 0);
    assert.deepEqual(frame, encodeChunk(0x01020304, page));
    // A second reader of the page writes the very same header there.
    assert.deepEqual(chunkFrame(0x01020304, page, chunkScratch()), frame);
  });

  it("copies any other piece after the header into the scratch buffer", () => {
    const scratch = chunkScratch();
    const data = new Uint8Array([9, 8, 7]);
    const frame = chunkFrame(7, data, scratch);
    assert.equal(frame.buffer, scratch.buffer);
    assert.deepEqual(frame, encodeChunk(7, data));
    const midPage = new PagePool().take().subarray(5, 9);
    assert.equal(chunkFrame(7, midPage, scratch).buffer, scratch.buffer, "no headroom mid-page");
  });
});
