import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { CANONICAL, POLICIES, type PolicyName, type Scenario } from "../../../core/run/scenario.ts";
import { simulate } from "../../../sim/simulator.ts";
import { scenarioBound } from "../../../sim/lower_bound.ts";

/** A tiny scenario: rates 1000 / 2000 / 3000 KiB/s, so 1 KiB takes 1 ms direct. */
function tiny(over: Partial<Scenario>): Scenario {
  return { ...CANONICAL, files: 20, caches: 1, clients: 1, requests: 3, capacityKiB: 0, ...over };
}
const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} ≠ ${b}`);

describe("simulate: hand-worked timings", () => {
  it("nocache: one client fetches 1, 2, 3 KiB one after another at 1000 KiB/s", () => {
    const r = simulate(tiny({ policy: "nocache" }), { lists: [[1, 2, 3]] });
    close(r.makespan, 0.006);
    assert.deepEqual(r.links, { originToCache: 0, originToClient: 6 * 1024, cacheToClient: 0 });
  });

  it("seed: warm files are read from the cache, the next is pushed and forwarded cut-through", () => {
    // Capacity 3 KiB: warm-up holds 1 and 2 (3 does not fit). At 0 the client reads 1
    // (1/3000 s) then 2 (2/3000 s, done at 0.001); 2's eviction frees room, the cache asks
    // for 3, the client's request for 3 waits, the push runs 0.001..0.0025 at 2000 KiB/s and
    // the forward, started with the header, cannot end before the push: 0.0025.
    const r = simulate(tiny({ policy: "seed", capacityKiB: 3 }), { lists: [[1, 2, 3]] });
    close(r.makespan, 0.0025);
    assert.equal(r.warmup.files, 2);
    assert.deepEqual([r.caches[0]!.hits, r.caches[0]!.misses], [3, 0]);
    assert.equal(r.caches[0]!.peakBytes, 3 * 1024);
  });

  it("lru: two clients' misses for one file share one fetch, streamed to both", () => {
    // The 5 KiB push takes 5/2000 s; both forwards (5/3000 s) end with it.
    const r = simulate(tiny({ policy: "lru", clients: 2, requests: 1, capacityKiB: 8 }), {
      lists: [[5], [5]],
    });
    close(r.makespan, 0.0025);
    assert.equal(r.links.originToCache, 5 * 1024);
    assert.deepEqual([r.caches[0]!.misses, r.caches[0]!.hits], [1, 1]);
  });

  it("foresight: the direct link and the cache work at once", () => {
    // One client wants 2 and 9 KiB. Capacity 0: both direct, one after the other (11 ms).
    // Capacity 2 KiB: 9 cannot pass a cache and comes direct (9 ms) while 2 is warm and
    // read from the cache at the same time (2/3000 s): 9 ms, the bound.
    const none = simulate(tiny({ policy: "foresight", requests: 2 }), { lists: [[2, 9]] });
    close(none.makespan, 0.011);
    const s = tiny({ policy: "foresight", requests: 2, capacityKiB: 2 });
    const some = simulate(s, { lists: [[2, 9]] });
    close(some.makespan, 0.009);
    close(scenarioBound(s, [[2, 9]]).seconds, 0.009);
  });
});

describe("simulate: every policy", () => {
  const small = (policy: PolicyName): Scenario => ({
    ...CANONICAL,
    files: 400,
    caches: 2,
    clients: 3,
    requests: 60,
    capacityKiB: 900,
    policy,
  });

  for (const policy of POLICIES) {
    it(`${policy}: every client gets exactly its files, within capacity, the same on every run`, () => {
      const s = small(policy);
      const a = simulate(s, { check: true });
      const b = simulate(s);
      assert.deepEqual(a, b, "same seed, same output");
      const lists = scenarioBound(s); // also checks the lists derive the same way
      assert.ok(
        a.makespan + 1e-9 >= lists.seconds,
        `${a.makespan} beats the bound ${lists.seconds}`,
      );
      let bytes = 0;
      for (const c of a.clients) {
        assert.equal(c.files, c.requested);
        bytes += c.bytes;
      }
      assert.equal(bytes, a.links.originToClient + a.links.cacheToClient);
      for (const c of a.caches) assert.ok(c.peakBytes <= c.capacityBytes);
      assert.equal(a.ownerRaces, 0);
    });
  }

  it("foresight is within 1 % of the lower bound on the canonical scenario, seeds 1..5", () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const s: Scenario = { ...CANONICAL, seed, policy: "foresight" };
      const r = simulate(s);
      const bound = scenarioBound(s);
      assert.ok(bound.exact);
      assert.ok(
        r.makespan <= 1.01 * bound.seconds,
        `seed ${seed}: ${r.makespan} > 1.01 × ${bound.seconds}`,
      );
      assert.ok(r.makespan >= bound.seconds - 1e-6);
    }
  });
});
