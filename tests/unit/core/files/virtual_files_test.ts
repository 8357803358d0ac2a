import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { FileSource, POOL_BYTES } from "../../../../core/files/virtual_files.ts";
import { requestList, shardOf } from "../../../../core/run/scenario.ts";

describe("FileSource", () => {
  const files = new FileSource({ seed: 7 });

  it("makes file n exactly n KiB", () => {
    assert.equal(files.size(1), 1024);
    assert.equal(files.size(10_000), 10_240_000);
  });

  it("derives content from (n, seed): same inputs same bytes, other file or seed other bytes", () => {
    const a = files.slice(5, 0, 5120);
    assert.deepEqual(new FileSource({ seed: 7 }).slice(5, 0, 5120), a);
    assert.notDeepEqual(new FileSource({ seed: 8 }).slice(5, 0, 5120), a);
    assert.notDeepEqual(files.slice(6, 0, 5120), a);
  });

  it("verifies a file's own bytes at any offset and rejects one flipped byte or the wrong id", () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 3000 }), fc.nat(), fc.nat(), (n, o, l) => {
      const size = files.size(n);
      const offset = o % size;
      const len = 1 + (l % Math.min(size - offset, POOL_BYTES));
      const bytes = files.slice(n, offset, len).slice();
      assert.ok(files.verify(n, offset, bytes));
      bytes[len >> 1]! ^= 0x01;
      assert.ok(!files.verify(n, offset, bytes));
      bytes[len >> 1]! ^= 0x01;
      assert.ok(
        !files.verify(n + 1, offset, bytes) || len < 8,
        "another file's bytes must not verify",
      );
    }));
  });

  it("reads across the pool's wrap-around, for files larger than the pool", () => {
    const n = Math.ceil((POOL_BYTES * 1.5) / 1024);
    const part = files.slice(n, POOL_BYTES - 10, 1000);
    assert.ok(files.verify(n, POOL_BYTES - 10, part));
    assert.ok(!files.verify(n, POOL_BYTES - 10, new Uint8Array(1000)));
    assert.ok(!files.verify(n, files.size(n) - 5, new Uint8Array(10)), "past the end");
  });
});

describe("requestList", () => {
  it("draws distinct ascending ids in range, the same for the same seed and index", () => {
    const a = requestList(1, 0, 10_000, 1_000);
    assert.equal(a.length, 1_000);
    assert.equal(new Set(a).size, 1_000);
    for (let i = 1; i < a.length; i++) assert.ok(a[i]! > a[i - 1]!);
    assert.ok(a[0]! >= 1 && a.at(-1)! <= 10_000);
    assert.deepEqual(requestList(1, 0, 10_000, 1_000), a);
    assert.notDeepEqual(requestList(1, 1, 10_000, 1_000), a);
    assert.notDeepEqual(requestList(2, 0, 10_000, 1_000), a);
  });

  it("takes every file when requests equals files", () => {
    assert.deepEqual(requestList(3, 2, 50, 50), Array.from({ length: 50 }, (_, i) => i + 1));
  });

  it("is roughly uniform: each decile holds about a tenth of the draws", () => {
    const counts = new Array(10).fill(0);
    for (let c = 0; c < 20; c++) {
      for (const f of requestList(9, c, 10_000, 1_000)) counts[Math.floor((f - 1) / 1000)]++;
    }
    for (const n of counts) assert.ok(n > 1700 && n < 2300, `decile count ${n} far from 2000`);
  });

  it("shards odd and even files onto two caches", () => {
    assert.equal(shardOf(3, 2), 1);
    assert.equal(shardOf(4, 2), 0);
  });
});
