import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { BeladyEviction } from "../../../core/eviction/belady_eviction.ts";
import { LruEviction } from "../../../core/eviction/lru_eviction.ts";
import { ListsNextUse, TraceNextUse } from "../../../core/eviction/next_use.ts";
import { PullThroughCache } from "../../../core/policies/pull_through_cache.ts";
import { replayTrace } from "../../../sim/trace.ts";

// The textbook reference string (Silberschatz, Operating System Concepts),
// pages 0..7 renamed 1..8 (file ids start at 1): 7 0 1 2 0 3 0 4 2 3 0 3 2 1 2 0 1 7 0 1.
const BOOK = [7, 0, 1, 2, 0, 3, 0, 4, 2, 3, 0, 3, 2, 1, 2, 0, 1, 7, 0, 1].map((p) => p + 1);
const unit = () => 1;

function lru(capacity: number, size: (f: number) => number, evicted: number[]) {
  return new PullThroughCache(capacity, size, new LruEviction(), {
    onEvict: (f) => evicted.push(f),
  });
}
function belady(capacity: number, size: (f: number) => number, trace: number[], evicted: number[]) {
  return new PullThroughCache(capacity, size, new BeladyEviction(new TraceNextUse(trace)), {
    onEvict: (f) => evicted.push(f),
  });
}

describe("LRU pull-through cache", () => {
  it("misses 12 times on the textbook string with 3 frames", () => {
    // By hand (pages as in the book; state listed least recent first):
    //  7 m [7]  0 m [7 0]  1 m [7 0 1]  2 m -7 [0 1 2]  0 h [1 2 0]  3 m -1 [2 0 3]
    //  0 h [2 3 0]  4 m -2 [3 0 4]  2 m -3 [0 4 2]  3 m -0 [4 2 3]  0 m -4 [2 3 0]
    //  3 h [2 0 3]  2 h [0 3 2]  1 m -0 [3 2 1]  2 h [3 1 2]  0 m -3 [1 2 0]
    //  1 h [2 0 1]  7 m -2 [0 1 7]  0 h [1 7 0]  1 h [7 0 1]
    // 12 misses, 8 hits; evicted 7 1 2 3 0 4 0 3 2.
    const evicted: number[] = [];
    const r = replayTrace(lru(3, unit, evicted), BOOK, unit, evicted);
    assert.equal(r.misses, 12);
    assert.equal(r.hits, 8);
    assert.deepEqual(r.evicted, [7, 1, 2, 3, 0, 4, 0, 3, 2].map((p) => p + 1));
  });

  it("evicts by bytes: as many old files as the new one needs", () => {
    // File n is n units, capacity 10. Trace 4 3 2 4 5 1 3:
    //  4 m (4)  3 m (7)  2 m (9)  4 h, order [3 2 4]
    //  5 m: 1 free → evict 3 (4 free), evict 2 (6 free) → [4 5] (9)
    //  1 m: fits → [4 5 1] (10)
    //  3 m: 0 free → evict 4 → [5 1 3] (9)
    // 6 misses, 1 hit; evicted 3 2 4.
    const size = (f: number) => f;
    const evicted: number[] = [];
    const cache = lru(10, size, evicted);
    const r = replayTrace(cache, [4, 3, 2, 4, 5, 1, 3], size, evicted);
    assert.deepEqual([r.misses, r.hits, r.evicted], [6, 1, [3, 2, 4]]);
    assert.equal(cache.store.used, 9);
  });

  it("misses at once a file larger than the whole cache", () => {
    const size = (f: number) => f;
    const cache = lru(10, size, []);
    assert.equal(cache.request(11), "miss");
    assert.equal(cache.refill(), null, "nothing to fetch");
    assert.equal(cache.misses, 1);
  });

  it("coalesces concurrent misses for one file into one fetch", () => {
    const cache = lru(10, unit, []);
    assert.equal(cache.request(5, 0), "wait");
    assert.equal(cache.request(5, 1), "wait", "joins the fetch");
    assert.equal(cache.refill(), 5);
    assert.equal(cache.refill(), null, "one fetch only");
    cache.pushed(5, 1, 0, null);
    assert.equal(cache.request(5, 0), "hit");
    assert.equal(cache.request(5, 1), "hit");
    assert.deepEqual([cache.misses, cache.hits], [1, 1]);
  });

  it("never evicts a file that is read or awaited, and waits for room instead", () => {
    const cache = lru(2, unit, []);
    for (const f of [1, 2]) {
      cache.request(f);
      cache.refill();
      cache.pushed(f, 1, 0, null);
      cache.request(f); // read begins, not served yet
    }
    assert.equal(cache.request(3), "wait");
    assert.equal(cache.refill(), null, "both held files are being read");
    cache.served(1);
    assert.equal(cache.refill(), 3, "file 1 evicted to make room");
    assert.equal(cache.store.get(1), undefined);
  });

  it("unpins a file whose waiting request was abandoned (its client left)", () => {
    const evicted: number[] = [];
    const cache = lru(1, unit, evicted);
    assert.equal(cache.request(1, 0), "wait");
    assert.equal(cache.refill(), 1);
    cache.pushed(1, 1, 0, null); // client 0 left before asking again
    assert.equal(cache.request(2, 1), "wait");
    assert.equal(cache.refill(), null, "file 1 is still promised to client 0");
    cache.abandon(1, 0);
    assert.equal(cache.refill(), 2, "file 1 evicted once nobody waits for it");
    assert.deepEqual(evicted, [1]);
  });
});

describe("Belady pull-through cache", () => {
  it("misses 9 times on the textbook string with 3 frames (the optimum)", () => {
    // By hand (next use position in brackets, positions 0..19):
    //  7 m, 0 m, 1 m
    //  2 m (pos 3): 7[17] 0[4] 1[13] → evict 7 → [0 1 2]     0 h
    //  3 m (pos 5): 0[6] 1[13] 2[8] → evict 1 → [0 2 3]      0 h
    //  4 m (pos 7): 0[10] 2[8] 3[9] → evict 0 → [2 3 4]      2 h, 3 h
    //  0 m (pos 10): 2[12] 3[11] 4[never] → evict 4          3 h, 2 h
    //  1 m (pos 13): 2[14] 3[never] 0[15] → evict 3          2 h, 0 h, 1 h
    //  7 m (pos 17): 2[never] 0[18] 1[19] → evict 2          0 h, 1 h
    // 9 misses, 11 hits; evicted 7 1 0 4 3 2.
    const evicted: number[] = [];
    const r = replayTrace(belady(3, unit, BOOK, evicted), BOOK, unit, evicted);
    assert.equal(r.misses, 9);
    assert.equal(r.hits, 11);
    assert.deepEqual(r.evicted, [7, 1, 0, 4, 3, 2].map((p) => p + 1));
  });

  it("evicts by bytes, farthest first, the larger file on a tie", () => {
    // File n is n units, capacity 10. Trace 4 3 2 4 5 1 3 (positions 0..6):
    //  4 m, 3 m, 2 m (9 used), 4 h
    //  5 m (pos 4): 1 free; 4[never] 3[6] 2[never] → tie 4, 2: evict 4 (5 free) → [3 2 5]
    //  1 m (pos 5): 0 free; 3[6] 2[never] 5[never] → tie: evict 5 → [3 2 1] (6 used)
    //  3 h
    // 5 misses, 2 hits; evicted 4 5 (LRU: 6 misses).
    const size = (f: number) => f;
    const trace = [4, 3, 2, 4, 5, 1, 3];
    const evicted: number[] = [];
    const r = replayTrace(belady(10, size, trace, evicted), trace, size, evicted);
    assert.deepEqual([r.misses, r.hits, r.evicted], [5, 2, [4, 5]]);
  });

  it("reads the future from the clients' lists, per client position", () => {
    // Client 0 asks for 1, 3, 5; client 1 for 5, 7 (each file 1 unit).
    const next = new ListsNextUse([[1, 3, 5], [5, 7]], unit);
    assert.equal(next.distance(5), 0, "client 1 asks for it first");
    next.requested(5, 1);
    assert.equal(next.distance(5), 2, "now only client 0, after 1 and 3");
    next.requested(1, 0);
    assert.equal(next.distance(5), 1);
    assert.equal(next.distance(7), 0);
    next.requested(7, 1);
    assert.equal(next.distance(7), Infinity, "nobody asks again");
  });
});
