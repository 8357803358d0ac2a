import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { CountedCache } from "../../../../core/policies/counted_cache.ts";

const kib = (f: number) => f * 1024;

describe("CountedCache", () => {
  it("parks a request for the file it asked the origin for, and misses one for another", () => {
    const cache = new CountedCache(10 * 1024, kib);
    cache.hinted(3);
    assert.equal(cache.refill(100), 3);
    assert.equal(cache.request(3, 0, 120), "wait");
    assert.equal(cache.request(4, 0, 120), "miss");
  });

  it("misses a request made before it asked for the file: in the model that request came first", () => {
    const cache = new CountedCache(10 * 1024, kib);
    cache.hinted(3);
    assert.equal(cache.refill(100), 3);
    assert.equal(cache.request(3, 0, 99), "miss", "made at 99, the refill asked at 100");
    assert.equal(cache.request(3, 1, 100), "wait", "made at the same time: after it, as sent");
    assert.equal(cache.request(3, 2), "wait", "no time known: as it arrives");
    assert.equal(cache.misses, 1);
  });

  it("hits a held file with requests owed, whenever the request was made", () => {
    const cache = new CountedCache(10 * 1024, kib);
    cache.pushed(2, 2048, 1, null);
    assert.equal(cache.request(2, 0, -5), "hit");
    assert.equal(cache.served(2), true, "evicted at count 0");
  });
});
