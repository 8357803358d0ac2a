import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { FileBuffer } from "../../../core/file_buffer.ts";
import { PagePool } from "../../../core/page_pool.ts";
import { isForesightError } from "../../../errors.ts";

/** A complete 3-page file whose byte i is i mod 251. */
function threePages(): { pool: PagePool; buf: FileBuffer; bytes: Uint8Array } {
  const pool = new PagePool(16);
  const bytes = Uint8Array.from({ length: 40 }, (_, i) => i % 251);
  const buf = new FileBuffer(bytes.length, pool);
  buf.append(bytes);
  return { pool, buf, bytes };
}

describe("FileBuffer", () => {
  it("copies any stored range, page by page, as copies", () => {
    const { buf, bytes } = threePages();
    assert.equal(buf.complete, true);
    const parts = [...buf.copy(5, 30)];
    assert.deepEqual(parts.map((p) => p.length), [11, 16, 3]);
    assert.deepEqual(Uint8Array.from(parts.flatMap((p) => [...p])), bytes.slice(5, 35));
  });

  it("a copy under way when the file is released (evicted) ends with a clear error", () => {
    const { buf } = threePages();
    const parts = buf.copy(0, 40);
    assert.equal(parts.next().value?.length, 16);
    buf.release();
    assert.throws(
      () => parts.next(),
      (e) => isForesightError(e, "INTERNAL") && /evicted meanwhile/.test(e.message),
    );
  });

  it("a copy of a range not stored, or of a released file, is refused", () => {
    const { buf } = threePages();
    assert.throws(() => [...buf.copy(30, 20)], (e) => isForesightError(e, "INTERNAL"));
    buf.release();
    assert.throws(() => [...buf.copy(0, 1)], (e) => isForesightError(e, "INTERNAL"));
  });
});
