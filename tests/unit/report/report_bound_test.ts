import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { boundText, incompleteBecause, reportBound } from "../../../report/report_bound.ts";
import { EXACT, runReport, SCENARIO } from "./report_fixture.ts";

describe("reportBound", () => {
  it("gives a complete run its makespan ÷ bound, and keeps the bound and its cost", () => {
    const r = runReport({ finish: [2010, 2022] });
    const b = reportBound(r, EXACT, 0.025);
    assert.equal(r.simSeconds, 2022);
    assert.equal(b.ratio, 2022 / 2000);
    assert.equal(b.sequentialRatio, 2022 / 2500);
    assert.equal(b.noRatio, undefined);
    assert.deepEqual(
      { seconds: b.seconds, exact: b.exact, classes: b.classes, computeSeconds: b.computeSeconds },
      { seconds: 2000, exact: true, classes: 29, computeSeconds: 0.025 },
    );
  });

  it("gives an interrupted run no ratio, and says why", () => {
    const b = reportBound(runReport({ interrupted: "SIGINT" }), EXACT);
    assert.equal(b.ratio, null);
    assert.equal(b.sequentialRatio, null);
    assert.equal(b.noRatio, "the run was interrupted by SIGINT");
    assert.equal(b.seconds, 2000, "the bound itself stands");
    assert.equal("computeSeconds" in b, false);
  });

  it("gives no ratio when a client did not get every file, naming it", () => {
    const one = reportBound(runReport({ files: [3, 1] }), EXACT);
    assert.equal(one.ratio, null);
    assert.equal(one.noRatio, "client 1 did not get every file it asked for");
    const both = reportBound(runReport({ files: [2, 1] }), EXACT);
    assert.equal(both.noRatio, "2 of 2 clients did not get every file they asked for");
    const missing = reportBound(runReport({ finish: [2010] }), EXACT);
    assert.equal(missing.noRatio, "1 of 2 clients did not get every file they asked for");
  });

  it("gives no ratio to a bound of 0 s", () => {
    const b = reportBound(runReport(), { ...EXACT, seconds: 0, sequentialSeconds: 0 });
    assert.equal(b.ratio, null);
    assert.match(b.noRatio!, /bound is 0 s/);
  });

  it("finds a complete run complete", () => {
    assert.equal(incompleteBecause(runReport()), undefined);
  });
});

describe("boundText", () => {
  it("shows the bound, how it was found and the ratio", () => {
    const t = boundText(reportBound(runReport(), EXACT), SCENARIO.clients);
    assert.deepEqual(t, {
      bound: "2000.0 s (exact fluid LP)",
      method: "exact fluid LP",
      ratio: "1.011",
    });
  });

  it("says plainly when the bound is not exact, and why", () => {
    const b = reportBound(runReport(), { ...EXACT, exact: false, classes: 8130 });
    const t = boundText(b, 32);
    assert.equal(
      t.bound,
      "2000.0 s (not exact: closed form, as the exact LP for 32 clients (8130 classes) " +
        "is too large to solve)",
    );
    assert.equal(t.ratio, "1.011");
  });

  it("says the ratio is not meaningful for an incomplete run", () => {
    const t = boundText(reportBound(runReport({ interrupted: "SIGTERM" }), EXACT), 2);
    assert.equal(t.ratio, "not meaningful: the run was interrupted by SIGTERM");
  });
});
