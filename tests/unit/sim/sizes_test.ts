import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  CANONICAL,
  POLICIES,
  type PolicyName,
  requestList,
  type Scenario,
} from "../../../core/run/scenario.ts";
import { simulate } from "../../../sim/simulator.ts";
import { scenarioBound } from "../../../sim/lower_bound.ts";
import type { SimResult } from "../../../sim/sim_result.ts";

/** Asserts what every run must give whatever the sizes: every file, within capacity, over the bound. */
function checkRun(
  r: SimResult,
  lists: readonly (readonly number[])[],
  size: (f: number) => number,
  bound: number,
): void {
  let bytes = 0;
  lists.forEach((list, c) => {
    const client = r.clients[c]!;
    assert.equal(client.files, list.length, `client ${c} holds all its files`);
    const want = list.reduce((a, f) => a + size(f), 0);
    assert.equal(client.bytes, want, `client ${c} received exactly its files' bytes`);
    bytes += want;
  });
  assert.equal(bytes, r.links.originToClient + r.links.cacheToClient);
  for (const c of r.caches) {
    assert.ok(c.peakBytes <= c.capacityBytes, `cache ${c.index}: ${c.peakBytes} > capacity`);
  }
  const slack = 1e-9 * Math.max(1, bound);
  assert.ok(r.makespan >= bound - slack, `${r.scenario.policy}: ${r.makespan} < bound ${bound}`);
}

/** One small scenario with lists over `files` files. */
function scenario(over: Partial<Scenario>): Scenario {
  return { ...CANONICAL, files: 12, caches: 1, clients: 2, requests: 4, ...over };
}

describe("simulate on any file sizes", () => {
  it("passes a file larger than the cache from the origin under every policy, caching the rest", () => {
    // Capacity 8 KiB; file 3 is 100 KiB, the others 1 KiB (file 2 is empty).
    const size = (f: number) => (f === 3 ? 100 * 1024 : f === 2 ? 0 : 1024);
    const lists = [[1, 2, 3, 4], [2, 3, 5]];
    const bound = scenarioBound(scenario({ capacityKiB: 8 }), lists, size).seconds;
    // The 100 KiB file goes to both clients over their origin links at 1000 KiB/s.
    assert.ok(bound >= 0.1 - 1e-9, `bound ${bound}`);
    for (const policy of POLICIES) {
      const s = scenario({ capacityKiB: 8, policy });
      const r = simulate(s, { lists, size, check: true });
      checkRun(r, lists, size, bound);
      const c = r.caches[0]!;
      assert.ok(c.pushedBytes < 100 * 1024, `${policy} never pushes the big file`);
      if (policy !== "nocache") assert.ok(c.hits > 0, `${policy} still caches small files`);
    }
  });

  it("seed skips a file larger than the cache and still pushes the files after it", () => {
    // Capacity 8 KiB, files 1..6 of 1 KiB but file 3 of 100 KiB: the warm-up holds 1, 2, 4, 5, 6.
    const size = (f: number) => (f === 3 ? 100 * 1024 : 1024);
    const lists = [[1, 2, 3, 4, 5, 6]];
    const s = scenario({ capacityKiB: 8, clients: 1, requests: 6, policy: "seed" });
    const r = simulate(s, { lists, size, check: true });
    checkRun(r, lists, size, scenarioBound(s, lists, size).seconds);
    assert.deepEqual(r.warmup, { files: 5, bytes: 5 * 1024 });
    assert.deepEqual([r.caches[0]!.hits, r.clients[0]!.fromOrigin], [5, 1]);
  });

  it("moves a demand of nothing but empty files in no time", () => {
    const lists = [[1, 2], [2, 3]];
    for (const policy of POLICIES) {
      for (const capacityKiB of [0, 4]) {
        const s = scenario({ policy, capacityKiB });
        const r = simulate(s, { lists, size: () => 0, check: true });
        const bound = scenarioBound(s, lists, () => 0);
        assert.deepEqual([bound.seconds, bound.sequentialSeconds], [0, 0]);
        checkRun(r, lists, () => 0, bound.seconds);
        assert.equal(r.makespan, 0, `${policy}, capacity ${capacityKiB} KiB`);
      }
    }
  });

  it("serves a single huge file (8 GiB, cache 25 MiB) from the origin", () => {
    const size = () => 8 * 2 ** 30;
    for (const policy of POLICIES) {
      const s = scenario({ policy, clients: 1, requests: 1 });
      const r = simulate(s, { lists: [[7]], size });
      checkRun(r, [[7]], size, scenarioBound(s, [[7]], size).seconds);
      assert.equal(r.makespan, size() / (s.rateOriginClient * 1024));
    }
  });

  it("keeps every invariant on random sizes (0 B, small, above capacity) for every policy", () => {
    const kind = fc.constantFrom("zero", "small", "large", "huge");
    const world = fc.record({
      sizes: fc.array(fc.tuple(kind, fc.integer({ min: 1, max: 64 })), {
        minLength: 4,
        maxLength: 30,
      }),
      caches: fc.integer({ min: 1, max: 3 }),
      clients: fc.integer({ min: 1, max: 4 }),
      capacityKiB: fc.integer({ min: 0, max: 64 }),
      share: fc.double({ min: 0.1, max: 1, noNaN: true }),
      seed: fc.integer({ min: 1, max: 1000 }),
      rates: fc.tuple(
        fc.integer({ min: 100, max: 4000 }),
        fc.integer({ min: 100, max: 4000 }),
        fc.integer({ min: 100, max: 4000 }),
      ),
    });
    fc.assert(
      fc.property(world, (w) => {
        const capacity = w.capacityKiB * 1024;
        const bytes = w.sizes.map(([k, n]) =>
          k === "zero" ? 0 : k === "small" ? n * 100 : k === "large" ? capacity + n : 2 ** 33 + n
        );
        const size = (f: number) => bytes[f - 1]!;
        const files = bytes.length;
        const requests = Math.max(1, Math.round(files * w.share));
        const base: Scenario = {
          ...CANONICAL,
          files,
          caches: w.caches,
          clients: w.clients,
          requests,
          capacityKiB: w.capacityKiB,
          rateOriginClient: w.rates[0],
          rateOriginCache: w.rates[1],
          rateCacheClient: w.rates[2],
          seed: w.seed,
        };
        const bound = scenarioBound(base, undefined, size);
        for (const policy of POLICIES as readonly PolicyName[]) {
          const r = simulate({ ...base, policy }, { size, check: true });
          checkRun(r, scenarioLists(base), size, bound.seconds);
          if (policy === "seed" || policy === "nocache") {
            const slack = 1e-9 * Math.max(1, bound.sequentialSeconds);
            assert.ok(r.makespan >= bound.sequentialSeconds - slack, `${policy} sequential`);
          }
        }
      }),
      { numRuns: 150 },
    );
  });
});

function scenarioLists(s: Scenario): number[][] {
  return Array.from({ length: s.clients }, (_, c) => requestList(s.seed, c, s.files, s.requests));
}
