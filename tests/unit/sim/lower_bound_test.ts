import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { CANONICAL, POLICIES, type PolicyName, type Scenario } from "../../../core/run/scenario.ts";
import { type BoundInput, lowerBound, scenarioBound } from "../../../sim/lower_bound.ts";
import { maximize, type Row } from "../../../sim/simplex.ts";
import { simulate } from "../../../sim/simulator.ts";

const close = (a: number, b: number, eps = 1e-9) =>
  assert.ok(Math.abs(a - b) <= eps * Math.max(1, Math.abs(b)), `${a} ≠ ${b}`);

/** One cache, rates in KiB/s, file n is n KiB. */
function input(
  lists: number[][],
  capacityKiB: number,
  a: number,
  g: number,
  b: number,
): BoundInput {
  return {
    lists,
    caches: 1,
    capacity: capacityKiB * 1024,
    size: (f) => f * 1024,
    rateOriginClient: a * 1024,
    rateOriginCache: g * 1024,
    rateCacheClient: b * 1024,
  };
}

describe("simplex", () => {
  it("solves a textbook program and its dual", () => {
    // max y0 + y1 s.t. y0 + 2 y1 ≤ 4, 3 y0 + y1 ≤ 6: optimum 2.8 at (1.6, 1.2);
    // the dual min 4 x0 + 6 x1 s.t. x0 + 3 x1 ≥ 1, 2 x0 + x1 ≥ 1: (0.4, 0.2), also 2.8.
    const r = maximize(2, [{ terms: [[0, 1], [1, 2]], bound: 4 }, {
      terms: [[0, 3], [1, 1]],
      bound: 6,
    }], [1, 1]);
    close(r.value, 2.8);
    close(r.y[0]!, 1.6);
    close(r.y[1]!, 1.2);
    close(r.x[0]!, 0.4);
    close(r.x[1]!, 0.2);
  });

  it("returns a feasible primal and dual of equal value on random programs (an optimality certificate)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.array(
          fc.tuple(
            fc.array(fc.integer({ min: -3, max: 5 }), { minLength: 6, maxLength: 6 }),
            fc.integer({ min: 0, max: 9 }),
          ),
          { minLength: 1, maxLength: 6 },
        ),
        fc.array(fc.integer({ min: -2, max: 4 }), { minLength: 6, maxLength: 6 }),
        (n, raw, obj) => {
          // A box y ≤ 10 keeps every program bounded.
          const rows: Row[] = raw.map(([coefs, bound]) => ({
            terms: coefs.slice(0, n).map((v, j): [number, number] => [j, v]),
            bound,
          }));
          for (let j = 0; j < n; j++) rows.push({ terms: [[j, 1]], bound: 10 });
          const r = maximize(n, rows, obj.slice(0, n));
          rows.forEach((row, i) => {
            const lhs = row.terms.reduce((s, [j, v]) => s + v * r.y[j]!, 0);
            assert.ok(lhs <= row.bound + 1e-7, `row ${i}: ${lhs} > ${row.bound}`);
          });
          for (let j = 0; j < n; j++) {
            const col = rows.reduce(
              (s, row, i) => s + (row.terms.find(([k]) => k === j)?.[1] ?? 0) * r.x[i]!,
              0,
            );
            assert.ok(col >= obj[j]! - 1e-7, `dual column ${j}: ${col} < ${obj[j]}`);
          }
          const primal = obj.slice(0, n).reduce((s, c, j) => s + c * r.y[j]!, 0);
          const dual = rows.reduce((s, row, i) => s + row.bound * r.x[i]!, 0);
          close(primal, r.value, 1e-7);
          close(dual, r.value, 1e-7);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("lowerBound", () => {
  it("is every byte over the origin link when nothing can be cached", () => {
    const b = lowerBound(input([[1, 2, 3]], 0, 1000, 2000, 3000));
    close(b.seconds, 0.006);
    close(b.sequentialSeconds, 0.006);
    assert.ok(b.exact);
  });

  it("splits a client's bytes between its links (worked by hand)", () => {
    // One client wants 2, 3, 4, 5 (14 KiB), capacity 5 KiB, a = 1000, g = 1000, b = 3000.
    // Direct d, through the cache v = 14 − d (KiB, ms): d ≤ T, v ≤ 3T, v − 5 ≤ T.
    //   v − 5 ≤ T ⇔ 9 − d ≤ T, with d = T: T ≥ 4.5; v = 9.5 ≤ 13.5. T* = 4.5 ms.
    // One file at a time: d + v/3 ≤ T; d ≥ 9 − T ⇒ (2d + 14)/3 ≤ T with d = 9 − T:
    //   32 − 2T ≤ 3T ⇒ T ≥ 6.4 ms (d = 2.6 ≤ T, v = 11.4 ≤ 3T).
    const b = lowerBound(input([[2, 3, 4, 5]], 5, 1000, 1000, 3000));
    close(b.seconds, 0.0045);
    close(b.sequentialSeconds, 0.0064);
    // A slow cache → client link binds instead: b = 1000 ⇒ v ≤ T, 14 − T ≤ T ⇒ 7 ms.
    close(lowerBound(input([[2, 3, 4, 5]], 5, 1000, 1000, 1000)).seconds, 0.007);
  });

  it("pays a shared file's cache inflow once, and each client's link per client", () => {
    // Two clients want 6 and 7 (13 KiB each), capacity 7 KiB, a = g = 1000, b = 100000 KiB/s.
    // Symmetric optimum: both take Y KiB from the cache, 13 − Y direct (KiB, ms):
    //   13 − Y ≤ T (direct), Y − 7 ≤ T (inflow pays the shared bytes once) ⇒ T ≥ 3 ms.
    // (Paid per client, 2Y − 7 ≤ T would give 19/3 ms.)
    close(lowerBound({ ...input([[6, 7], [6, 7]], 7, 1000, 1000, 100_000) }).seconds, 0.003);
    // A warm file must still reach the clients: [[10], [10]], capacity 10 KiB: each client
    // gets d direct and 10 − d from the cache: d ≤ T, 10 − d ≤ 3T ⇒ T ≥ 2.5 ms.
    close(lowerBound(input([[10], [10]], 10, 1000, 2000, 3000)).seconds, 0.0025);
    // Uncacheable files (20 KiB > capacity) go direct on every client's link: 20 ms.
    close(lowerBound(input([[10, 20], [10, 20]], 10, 1000, 2000, 3000)).seconds, 0.02);
  });

  it("matches an independent per-file program on the canonical scenario (HiGHS: 2181.762 s, 2752.4268 s)", () => {
    const b = scenarioBound(CANONICAL);
    close(b.seconds, 2181.762, 1e-7);
    close(b.sequentialSeconds, 2752.4268, 1e-7);
    assert.equal(b.exact, true);
  });

  it("no policy ever beats it on random small scenarios", () => {
    const scenario = fc.record({
      files: fc.integer({ min: 4, max: 40 }),
      caches: fc.integer({ min: 1, max: 3 }),
      clients: fc.integer({ min: 1, max: 4 }),
      requestsShare: fc.double({ min: 0.1, max: 1, noNaN: true }),
      capacityKiB: fc.integer({ min: 0, max: 120 }),
      rateOriginClient: fc.integer({ min: 100, max: 4000 }),
      rateOriginCache: fc.integer({ min: 100, max: 4000 }),
      rateCacheClient: fc.integer({ min: 100, max: 4000 }),
      seed: fc.integer({ min: 1, max: 1000 }),
    });
    fc.assert(
      fc.property(scenario, (x) => {
        const base: Scenario = {
          ...CANONICAL,
          ...x,
          requests: Math.max(1, Math.round(x.files * x.requestsShare)),
        };
        const bound = scenarioBound(base);
        for (const policy of POLICIES as readonly PolicyName[]) {
          const r = simulate({ ...base, policy }, { check: true });
          const slack = 1e-9 * Math.max(1, bound.seconds);
          assert.ok(
            r.makespan >= bound.seconds - slack,
            `${policy}: ${r.makespan} < bound ${bound.seconds}`,
          );
          if (policy === "seed" || policy === "nocache") {
            assert.ok(
              r.makespan >= bound.sequentialSeconds - slack,
              `${policy}: ${r.makespan} < sequential bound ${bound.sequentialSeconds}`,
            );
          }
        }
      }),
      { numRuns: 150 },
    );
  });
});
