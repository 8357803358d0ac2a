import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { FileBuffer } from "../../../../core/cache/file_buffer.ts";
import { headroomOf, PAGE_HEADROOM, PagePool } from "../../../../core/cache/page_pool.ts";
import { isForesightError } from "../../../../errors.ts";

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

describe("FileBuffer readers", () => {
  it("a reader gets whole pages as they fill, together when several are there, and the last one once the file is complete", async () => {
    const pool = new PagePool(16);
    const buf = new FileBuffer(40, pool);
    const reader = buf.read();
    const first = reader.next();
    buf.append(new Uint8Array(10).fill(1));
    buf.append(new Uint8Array(10).fill(2)); // page 1 full, 4 bytes into page 2
    const [page1, ...none] = (await first).value!;
    assert.deepEqual(none, []);
    assert.deepEqual([...page1!], [...new Uint8Array(10).fill(1), ...new Uint8Array(6).fill(2)]);
    const second = reader.next();
    buf.append(new Uint8Array(20).fill(3)); // pages 2 and 3 (8 bytes): complete
    assert.deepEqual((await second).value!.map((p: Uint8Array) => p.length), [16, 8]);
    assert.equal((await reader.next()).done, true);
    assert.equal(headroomOf(page1!), PAGE_HEADROOM, "each view starts a page, headroom before it");
  });

  it("a release while a reader is under way keeps the pages until it stops", async () => {
    const pool = new PagePool(16);
    const buf = new FileBuffer(40, pool);
    buf.append(new Uint8Array(20));
    const reader = buf.read();
    const [page] = (await reader.next()).value!;
    buf.release();
    assert.equal(pool.free, 0, "the pages the reader holds are not reused yet");
    await assert.rejects(
      reader.next(),
      (e) => isForesightError(e, "INTERNAL") && /released|evicted/.test(e.message),
    );
    assert.equal(pool.free, 2, "every page is back once the reader stopped");
    assert.equal(page!.length, 16);
  });

  it("a reader that got the whole file before a release ends cleanly and gives the pages back", async () => {
    const { pool, buf } = threePages();
    const reader = buf.read();
    assert.deepEqual((await reader.next()).value!.map((p: Uint8Array) => p.length), [16, 16, 8]);
    buf.release();
    assert.equal(pool.free, 0);
    assert.equal((await reader.next()).done, true);
    assert.equal(pool.free, 3);
  });

  it("pages have headroom before them; views elsewhere and other buffers have none", () => {
    const page = new PagePool().take();
    assert.equal(page.length, 65_536);
    assert.equal(headroomOf(page), PAGE_HEADROOM);
    assert.equal(headroomOf(page.subarray(1)), 0);
    assert.equal(headroomOf(new Uint8Array(new ArrayBuffer(20), PAGE_HEADROOM, 4)), 0);
  });
});
