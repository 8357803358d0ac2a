import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { CANONICAL, requestList, type Scenario } from "../../../core/run/scenario.ts";
import { boundProgram, classify } from "../../../sim/bound_program.ts";
import { exactScenarioBound, loadHighsSolver, MAX_SPARSE_VARS } from "../../../sim/highs_solver.ts";
import { denseSolver } from "../../../sim/lp_program.ts";
import { boundInput, lowerBound } from "../../../sim/lower_bound.ts";

const close = (a: number, b: number, eps: number) =>
  assert.ok(Math.abs(a - b) <= eps * Math.max(1, Math.abs(b)), `${a} ≠ ${b}`);

describe("the HiGHS solver of the bound", () => {
  it("finds the dense simplex's optimum on random programs small enough for both (1e-6)", async () => {
    const highs = await loadHighsSolver();
    const scenario = fc.record({
      files: fc.integer({ min: 4, max: 60 }),
      caches: fc.integer({ min: 1, max: 3 }),
      clients: fc.integer({ min: 1, max: 5 }),
      requestsShare: fc.double({ min: 0.1, max: 1, noNaN: true }),
      capacityKiB: fc.integer({ min: 0, max: 200 }),
      rateOriginClient: fc.integer({ min: 100, max: 4000 }),
      rateOriginCache: fc.integer({ min: 100, max: 4000 }),
      rateCacheClient: fc.integer({ min: 100, max: 4000 }),
      seed: fc.integer({ min: 1, max: 1000 }),
    });
    fc.assert(
      fc.property(scenario, fc.boolean(), (x, sequential) => {
        const s: Scenario = {
          ...CANONICAL,
          ...x,
          requests: Math.max(1, Math.round(x.files * x.requestsShare)),
        };
        const input = boundInput(s);
        const { program } = boundProgram(input, classify(input), sequential);
        const dense = denseSolver.minimize(program);
        assert.notEqual(dense, null);
        close(highs.minimize(program)!, dense!, 1e-6);
      }),
      { numRuns: 100 },
    );
  });

  it("agrees with the dense simplex on 4 caches × 8 clients × 1,000 requests (1e-6)", async () => {
    const s = { ...CANONICAL, caches: 4, clients: 8 };
    const dense = lowerBound(boundInput(s));
    assert.equal(dense.solver, "simplex");
    const sparse = await exactScenarioBound(s);
    assert.equal(sparse.solver, "highs");
    close(sparse.seconds, dense.seconds, 1e-6);
    close(sparse.sequentialSeconds, dense.sequentialSeconds, 1e-6);
  });

  it("makes the bound exact past the dense tableau: 8 caches × 32 clients", async () => {
    const s = { ...CANONICAL, caches: 8, clients: 32, files: 4000, requests: 200 };
    const lists = Array.from({ length: s.clients }, (_, c) => requestList(s.seed, c, s.files, 200));
    const closed = lowerBound(boundInput(s, lists));
    assert.equal(closed.exact, false);
    const b = await exactScenarioBound(s, lists);
    assert.equal(b.exact, true);
    assert.equal(b.solver, "highs");
    // The exact optimum is at least the closed form, which relaxes the same program.
    assert.ok(b.seconds >= closed.seconds * (1 - 1e-9), `${b.seconds} < ${closed.seconds}`);
    assert.ok(b.sequentialSeconds >= b.seconds);
  });

  it("leaves small programs to the dense simplex", async () => {
    const b = await exactScenarioBound(CANONICAL);
    assert.equal(b.solver, "simplex");
  });

  it("declines programs past MAX_SPARSE_VARS, so the bound falls back to the closed form", async () => {
    const highs = await loadHighsSolver();
    const rows = [{ terms: [[0, 1]] as [number, number][], rhs: 1 }];
    assert.equal(highs.minimize({ vars: MAX_SPARSE_VARS + 1, rows }), null);
    assert.equal(highs.minimize({ vars: 2, rows }), 1);
  });
});
