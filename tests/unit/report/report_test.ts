import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { renderReport } from "../../../report/run_report.ts";
import { reportBound } from "../../../report/report_bound.ts";
import { EXACT, runReport } from "./report_fixture.ts";

/** The report's lines that mention the bound. */
const boundLines = (text: string) => text.split("\n").filter((l) => /bound/.test(l));

describe("renderReport", () => {
  it("shows the lower bound and makespan ÷ bound under the simulated time", () => {
    const r = runReport();
    r.lowerBound = reportBound(r, EXACT, 0.02);
    const lines = renderReport(r).split("\n");
    const at = lines.findIndex((l) => l.startsWith("  simulated 2022.0 s"));
    assert.ok(at > 0, lines.join("\n"));
    assert.equal(lines[at + 1], "  lower bound 2000.0 s (exact fluid LP); makespan ÷ bound 1.011");
  });

  it("says when the bound is not exact", () => {
    const r = runReport();
    r.lowerBound = reportBound(r, { ...EXACT, seconds: 1000, exact: false, classes: 700 });
    assert.deepEqual(boundLines(renderReport(r)), [
      "  lower bound 1000.0 s (not exact: closed form, as the exact LP for 2 clients " +
      "(700 classes) is too large to solve); makespan ÷ bound 2.022",
    ]);
  });

  it("claims no ratio for an interrupted run", () => {
    const r = runReport({ interrupted: "SIGINT" });
    r.lowerBound = reportBound(r, EXACT);
    const text = renderReport(r);
    assert.match(text, /: INTERRUPTED \(SIGINT\)/);
    assert.deepEqual(boundLines(text), [
      "  lower bound 2000.0 s (exact fluid LP); makespan ÷ bound not meaningful: " +
      "the run was interrupted by SIGINT",
    ]);
  });

  it("has no bound line when the bound is not known", () => {
    assert.deepEqual(boundLines(renderReport(runReport({ interrupted: "SIGTERM" }))), []);
  });
});
