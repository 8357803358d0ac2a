import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { CountedCache } from "../../../core/policies/counted_cache.ts";
import { CacheStore } from "../../../core/cache/cache_store.ts";
import { DemandLedger, ORIGIN_OWNER } from "../../../core/demand/demand_ledger.ts";
import { FlowNetwork } from "../../../core/routing/max_flow.ts";
import { ParallelClient } from "../../../core/policies/parallel_client.ts";
import { SequentialClient } from "../../../core/policies/seed_policy.ts";
import {
  makeCachePolicy,
  makeClientPolicy,
  makeOriginPolicy,
} from "../../../core/policies/policy_registry.ts";
import { planRoutes } from "../../../core/routing/route_plan.ts";
import { CANONICAL, POLICIES, shardOf } from "../../../core/run/scenario.ts";
import { isForesightError } from "../../../errors.ts";
import { EventQueue } from "../../../sim/event_queue.ts";
import { Link } from "../../../sim/link.ts";

const kib = (f: number) => f * 1024;
const rates = { originClient: kib(1000), originCache: kib(2000), cacheClient: kib(3000) };

describe("ParallelClient", () => {
  it("keeps one fetch outstanding per source, each queue in plan order", () => {
    const c = new ParallelClient([3, 8, 9, 12], 2);
    c.route([[12, -1], [9, -1], [8, 0], [3, 1]]);
    assert.deepEqual(c.poll(new Set()), [{ file: 12, source: -1 }, { file: 8, source: 0 }, {
      file: 3,
      source: 1,
    }]);
    assert.deepEqual(c.poll(new Set()), [], "each source has a fetch outstanding");
    c.received(12, -1);
    assert.deepEqual(c.poll(new Set()), [{ file: 9, source: -1 }]);
  });

  it("sends a cache's miss to the origin next, and the origin's miss back to the cache", () => {
    const c = new ParallelClient([2, 4, 5], 2);
    assert.deepEqual(c.poll(new Set()), [{ file: 2, source: 0 }, { file: 5, source: 1 }]);
    c.missed(2, 0);
    assert.deepEqual(c.poll(new Set()), [{ file: 4, source: 0 }, { file: 2, source: -1 }]);
    c.missed(2, -1);
    c.received(4, 0);
    assert.deepEqual(c.poll(new Set()), [{ file: 2, source: 0 }]);
    c.received(2, 0);
    c.received(5, 1);
    assert.equal(c.finished, true);
  });

  it("a lost cache's files go to the origin; regained, the listed ones come back in order", () => {
    // Files 2, 4, 6, 8 on cache 0 (shards mod 2), 1, 3 on cache 1.
    const c = new ParallelClient([1, 2, 3, 4, 6, 8], 2);
    c.route([[2, 0], [4, 0], [6, 0], [8, 0], [1, 1], [3, 1]]);
    assert.deepEqual(c.poll(new Set()), [{ file: 2, source: 0 }, { file: 1, source: 1 }]);
    c.lost(0);
    assert.deepEqual(c.poll(new Set([1])), [{ file: 2, source: -1 }], "the dropped fetch, direct");
    c.received(2, -1);
    c.regain(0, [8, 4, 2]);
    // 2 is done; 8 then 4 come from cache 0 again; 6 stays with the origin.
    assert.deepEqual(c.poll(new Set([1])), [{ file: 6, source: -1 }, { file: 8, source: 0 }]);
    c.received(6, -1);
    c.received(8, 0);
    assert.deepEqual(c.poll(new Set([1])), [{ file: 4, source: 0 }], "4 not asked of the origin");
    c.received(4, 0);
    c.received(1, 1);
    assert.deepEqual(c.poll(new Set()), [{ file: 3, source: 1 }]);
    c.received(3, 1);
    assert.equal(c.finished, true);
  });

  it("regaining leaves the origin's outstanding fetch alone; its redirect goes to the cache", () => {
    const c = new ParallelClient([2, 4], 2);
    c.route([[2, 0], [4, 0]]);
    c.poll(new Set());
    c.lost(0);
    assert.deepEqual(c.poll(new Set()), [{ file: 2, source: -1 }]);
    c.regain(0, [2, 4]);
    assert.deepEqual(c.poll(new Set()), [{ file: 4, source: 0 }], "2 is still out at the origin");
    c.missed(2, -1);
    c.received(4, 0);
    assert.deepEqual(c.poll(new Set()), [{ file: 2, source: 0 }]);
  });

  it("SequentialClient goes back to a regained cache", () => {
    const c = new SequentialClient([2, 4], 2);
    c.lost(0);
    assert.deepEqual(c.poll(new Set()), [{ file: 2, source: -1 }]);
    c.received(2);
    c.regain(0, []);
    assert.deepEqual(c.poll(new Set()), [{ file: 4, source: 0 }]);
  });

  it("defaults to the shard's cache, ascending, and to the origin without caches", () => {
    assert.deepEqual(new ParallelClient([7, 1, 4], 0).poll(new Set()), [{ file: 1, source: -1 }]);
    // Shards mod 3: 1 → cache 1, 3 → cache 0, 7 → cache 1.
    assert.deepEqual(new ParallelClient([7, 1, 3], 3).poll(new Set()), [{ file: 1, source: 1 }, {
      file: 3,
      source: 0,
    }]);
  });
});

describe("cache stores and brains for the new policies", () => {
  it("CacheStore.evict removes an unread file whatever its count and reports it", () => {
    const gone: number[] = [];
    const s = new CacheStore(100, { onEvict: (f) => gone.push(f) });
    s.reserve(1, 10, Infinity);
    s.beginRead(1);
    assert.equal(s.evict(1), false, "still read");
    s.endRead(1);
    assert.equal(s.evict(1), true);
    assert.deepEqual([s.used, s.evicted, gone], [0, 1, [1]]);
  });

  it("a foresight CountedCache parks a request for a file not yet pushed", () => {
    const b = new CountedCache(kib(10), kib, { waitForPushes: true });
    assert.equal(b.request(4), "wait");
    b.pushed(4, kib(4), 2, null);
    assert.equal(b.request(4), "hit");
    assert.equal(new CountedCache(kib(10), kib).request(4), "miss", "the seed cache misses");
  });

  it("a CountedCache hinted at its start asks for that file when it fits", () => {
    const b = new CountedCache(kib(10), kib, { waitForPushes: true });
    assert.equal(b.refill(), null, "no hint yet");
    b.hinted(12);
    assert.equal(b.refill(), null, "12 KiB does not fit in 10");
    b.hinted(6);
    assert.equal(b.refill(), 6);
  });

  it("DemandLedger reclaims a lost cache's files, and only its own", () => {
    const l = new DemandLedger(10);
    l.add([1, 2, 3]);
    l.add([2, 3]);
    l.handOff(1, 0);
    l.handOff(2, 1);
    l.handOff(3, 0, 1);
    assert.deepEqual(l.reclaim(0), [1], "file 3 was only partly handed: the origin still owns it");
    assert.equal(l.owner(1), ORIGIN_OWNER);
    assert.equal(l.owner(2), 1);
    assert.equal(l.outstanding(1), 0, "no count comes back");
    assert.equal(l.serveDirect(1), false);
    assert.deepEqual(l.reclaim(0), [], "nothing left to reclaim");
    assert.equal(l.handOff(1, 1), 0, "another cache may own it now");
    assert.equal(l.owner(1), 1);
  });

  it("DemandLedger hands off part of a file's demand and keeps the rest", () => {
    const l = new DemandLedger(10);
    l.add([3]);
    l.add([3]);
    l.add([3]);
    assert.equal(l.handOff(3, 1, 2), 2);
    assert.deepEqual([l.outstanding(3), l.owner(3)], [1, ORIGIN_OWNER]);
    assert.equal(l.serveDirect(3), true);
    assert.equal(l.handOff(3, 1, 0), 0, "0 changes nothing");
    assert.throws(() => l.handOff(3, 1, 1), (e) => isForesightError(e, "PROTOCOL"));
    assert.deepEqual(l.totals(), { added: 3, direct: 1, handed: 2, cancelled: 0, outstanding: 0 });
  });

  it("the registry builds every side of every policy", () => {
    const view = {
      ledger: new DemandLedger(10),
      caches: 2,
      capacity: kib(10),
      lists: [[1, 2]],
      size: kib,
    };
    for (const policy of POLICIES) {
      const s = { ...CANONICAL, files: 10, requests: 2, policy };
      assert.ok(makeOriginPolicy(s, view));
      assert.ok(makeClientPolicy(s, [1, 2]));
      assert.ok(makeCachePolicy(s, 0, { lists: [[1, 2]] }));
    }
  });
});

describe("foresight planner", () => {
  it("sends shared files through the cache and uncacheable ones direct", () => {
    const plan = planRoutes({
      lists: [[1, 2, 30], [2, 30]],
      caches: 1,
      capacity: kib(20),
      size: kib,
      rates,
    });
    const src = (c: number, f: number) => plan.routes[c]!.find(([x]) => x === f)![1];
    assert.equal(src(0, 2), 0);
    assert.equal(src(1, 2), 0);
    assert.equal(src(0, 30), -1);
    assert.equal(src(1, 30), -1);
    assert.equal(plan.counts.get(2), 2);
  });

  it("routes every request once, warms within capacity, and follows each source's order", () => {
    fc.assert(
      fc.property(
        fc.array(fc.uniqueArray(fc.integer({ min: 1, max: 60 }), { minLength: 1, maxLength: 25 }), {
          minLength: 1,
          maxLength: 5,
        }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 0, max: 100 }),
        (lists, caches, capKiB) => {
          const plan = planRoutes({ lists, caches, capacity: kib(capKiB), size: kib, rates });
          const pushed = new Set<number>();
          plan.warm.forEach((files, k) => {
            assert.ok(files.reduce((a, f) => a + kib(f), 0) <= kib(capKiB));
            for (const f of [...files, ...plan.pushes[k]!]) {
              assert.equal(shardOf(f, caches), k);
              assert.ok(!pushed.has(f));
              pushed.add(f);
            }
          });
          lists.forEach((list, c) => {
            const routes = plan.routes[c]!;
            assert.deepEqual(
              routes.map(([f]) => f).sort((a, b) => a - b),
              [...list].sort((a, b) => a - b),
            );
            // Per source, in the order the source gets its files: the origin ascending, a
            // cache in its own order (warm files, then pushes).
            const order = (s: number) =>
              s < 0 ? [...list].sort((a, b) => a - b) : [...plan.warm[s]!, ...plan.pushes[s]!];
            const seen = new Map<number, number>();
            for (const [f, s] of routes) {
              const at = order(s).indexOf(f);
              assert.ok(at >= 0, `file ${f} routed to source ${s} is sent there`);
              assert.ok(at > (seen.get(s) ?? -1), `file ${f} out of source ${s}'s order`);
              seen.set(s, at);
            }
          });
          let via = 0;
          for (const n of plan.counts.values()) via += n;
          assert.equal(via, plan.routes.flat().filter(([, s]) => s >= 0).length);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe("FlowNetwork", () => {
  it("finds the maximum flow of a small network", () => {
    // s=0 → 1 (3), s → 2 (2), 1 → 2 (1), 1 → t=3 (2), 2 → t (3): max flow 5.
    const n = new FlowNetwork(4);
    n.addEdge(0, 1, 3);
    n.addEdge(0, 2, 2);
    n.addEdge(1, 2, 1);
    n.addEdge(1, 3, 2);
    n.addEdge(2, 3, 3);
    assert.equal(n.maxFlow(0, 3), 5);
  });
});

describe("EventQueue and Link", () => {
  it("takes actions by time, then in the order scheduled", () => {
    const q = new EventQueue();
    const seen: string[] = [];
    q.at(2, () => seen.push("c"));
    q.at(1, () => seen.push("a"));
    q.at(1, () => q.at(1, () => seen.push("b2")));
    q.at(1, () => seen.push("b"));
    while (q.step());
    assert.deepEqual(seen, ["a", "b", "b2", "c"]);
    assert.equal(q.now, 2);
  });

  it("keeps that order across many events, now and later, as its slots grow", () => {
    // Random times (many equal, many due now) against a sort by (time, order scheduled).
    const q = new EventQueue();
    const seen: number[] = [];
    const want: [number, number][] = [];
    let n = 0;
    let x = 7;
    const rand = () => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648;
    const schedule = (time: number, depth: number) => {
      const id = n++;
      want.push([Math.max(time, q.now), id]);
      q.at(time, () => {
        seen.push(id);
        for (let i = 0; depth > 0 && i < 3; i++) {
          const r = rand();
          schedule(r < 0.4 ? q.now : q.now + Math.floor(r * 5), depth - 1);
        }
      });
    };
    for (let i = 0; i < 50; i++) schedule(Math.floor(rand() * 10), 4);
    while (q.step());
    // Ids are scheduled in order, so (time, id) is (time, order scheduled).
    want.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    assert.ok(seen.length > 1000, `${seen.length} events`);
    assert.deepEqual(seen, want.map(([, id]) => id));
    assert.equal(q.taken, seen.length);
    assert.equal(q.size, 0);
  });

  it("sends whole files one at a time, first queued first, and never finishes before readyAt", () => {
    const q = new EventQueue();
    const done: [string, number][] = [];
    type Named = { size: number; name: string; readyAt?: number; announce?: boolean };
    const link = new Link<Named>(q, 1000, {
      began: (t, finish) => done.push([`${t.name} begins, ends at ${finish}`, q.now]),
      delivered: (t) => done.push([t.name, q.now]),
    });
    link.send({ size: 500, name: "a" });
    link.send({ size: 500, name: "b", readyAt: 3, announce: true });
    link.send({ size: 1000, name: "c" });
    while (q.step());
    assert.deepEqual(done, [["a", 0.5], ["b begins, ends at 3", 0.5], ["b", 3], ["c", 4]]);
    assert.equal(link.bytes, 2000);
    assert.equal(link.busyTime, 4);
    assert.equal(q.taken, 4);
  });
});
