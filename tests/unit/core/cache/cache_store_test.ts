import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { CacheStore } from "../../../../core/cache/cache_store.ts";
import { CountedCache } from "../../../../core/policies/counted_cache.ts";
import { isForesightError } from "../../../../errors.ts";

describe("CacheStore", () => {
  it("refuses a file that does not fit, and holds what it had", () => {
    const s = new CacheStore(10);
    s.reserve(1, 6, 1);
    assert.throws(
      () => s.reserve(2, 5, 1),
      (e) =>
        isForesightError(e, "CAPACITY") && /5 bytes do not fit in 4 free of 10/.test(e.message),
    );
    assert.equal(s.used, 6);
    assert.equal(s.size, 1);
  });

  it("evicts at a zero count only after the last reader ends", () => {
    const s = new CacheStore(100);
    s.reserve(7, 10, 2);
    s.beginRead(7);
    assert.equal(s.endRead(7), false);
    s.beginRead(7);
    assert.equal(s.get(7)?.count, 0);
    assert.equal(s.used, 10, "still read: not evicted");
    assert.equal(s.endRead(7), true);
    assert.equal(s.used, 0);
    assert.equal(s.evicted, 1);
  });

  it("refuses to serve a file owed to nobody", () => {
    const s = new CacheStore(100);
    s.reserve(7, 10, 1);
    s.beginRead(7);
    assert.throws(() => s.beginRead(7), (e) => isForesightError(e, "PROTOCOL"));
  });

  it("never exceeds capacity and never holds a negative count under random pushes and reads", () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 64 }),
      fc.array(
        fc.tuple(
          fc.constantFrom("push", "read"),
          fc.integer({ min: 1, max: 12 }),
          fc.integer({ min: 0, max: 3 }),
        ),
        { maxLength: 80 },
      ),
      (capacity, ops) => {
        const s = new CacheStore(capacity);
        for (const [op, file, count] of ops) {
          try {
            if (op === "push") s.reserve(file, file, count);
            else {
              s.beginRead(file);
              s.endRead(file);
            }
          } catch (e) {
            assert.ok(isForesightError(e), `unexpected ${e}`);
          }
          assert.ok(s.used <= capacity, `used ${s.used} > ${capacity}`);
          assert.ok(s.peak <= capacity);
          let sum = 0;
          for (const e of s.entries()) {
            assert.ok(e.count > 0 || e.readers > 0, "a file with nothing owed was kept");
            sum += e.size;
          }
          assert.equal(sum, s.used);
        }
      },
    ));
  });
});

describe("CountedCache", () => {
  const kib = (f: number) => f * 1024;

  it("asks for the hinted file only when it fits and nothing is pending", () => {
    const b = new CountedCache(10 * 1024, kib);
    b.pushed(4, kib(4), 1, 7);
    assert.equal(b.refill(), null, "7 KiB do not fit in 6 KiB free");
    assert.equal(b.request(4), "hit");
    b.served(4);
    assert.equal(b.refill(), 7);
    assert.equal(b.refill(), null, "one refill at a time");
  });

  it("makes a request for a pending refill wait, then hit when the push arrives", () => {
    const b = new CountedCache(10 * 1024, kib);
    b.declined(1, 5);
    assert.equal(b.refill(), 5);
    assert.equal(b.request(5), "wait");
    b.pushed(5, kib(5), 1, null);
    assert.equal(b.request(5), "hit");
    assert.equal(b.hits, 1);
  });

  it("misses a file neither held nor awaited, and after a decline", () => {
    const b = new CountedCache(10 * 1024, kib);
    assert.equal(b.request(3), "miss");
    b.declined(0, 5);
    b.refill();
    b.declined(5, null);
    assert.equal(b.request(5), "miss");
    assert.equal(b.misses, 2);
    assert.equal(b.refill(), null, "no hint, no refill");
  });
});
