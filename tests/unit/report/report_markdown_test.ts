import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { reportMarkdown } from "../../../report/report_markdown.ts";
import { reportBound } from "../../../report/report_bound.ts";
import { simReport } from "../../../sim/sim_report.ts";
import { simulate } from "../../../sim/simulator.ts";
import { scenarioBound } from "../../../sim/lower_bound.ts";
import { CANONICAL } from "../../../core/run/scenario.ts";
import { EXACT, runReport } from "./report_fixture.ts";

describe("reportMarkdown", () => {
  it("has rows for the lower bound and makespan ÷ bound in a run's figures", () => {
    const r = runReport();
    r.lowerBound = reportBound(r, EXACT, 0.02);
    const md = reportMarkdown(r, {});
    assert.match(md, /^# Foresight run — OK$/m);
    assert.match(md, /^\| makespan \(simulated\) \| 2022\.0 s \|$/m);
    assert.match(md, /^\| lower bound \| 2000\.0 s \(exact fluid LP\) \|$/m);
    assert.match(md, /^\| makespan ÷ lower bound \| 1\.011 \|$/m);
  });

  it("says when the bound is not exact", () => {
    const r = runReport();
    r.lowerBound = reportBound(r, { ...EXACT, exact: false, classes: 8130 });
    assert.match(
      reportMarkdown(r, {}),
      /^\| lower bound \| 2000\.0 s \(not exact: closed form, as the exact LP for 2 clients \(8130 classes\) is too large to solve\) \|$/m,
    );
  });

  it("says the ratio of an interrupted run is not meaningful", () => {
    const r = runReport({ interrupted: "SIGTERM" });
    r.lowerBound = reportBound(r, EXACT);
    const md = reportMarkdown(r, {});
    assert.match(md, /^# Foresight run — INTERRUPTED \(SIGTERM\)$/m);
    assert.match(
      md,
      /^\| makespan ÷ lower bound \| not meaningful: the run was interrupted by SIGTERM \|$/m,
    );
  });

  it("has no bound rows when the bound is not known", () => {
    assert.doesNotMatch(reportMarkdown(runReport(), {}), /lower bound/);
  });

  it("shows a simulation's bound the same way", () => {
    const s = { ...CANONICAL, files: 200, clients: 3, requests: 30, capacityKiB: 400 };
    const r = simReport(simulate(s), scenarioBound(s), 0.01);
    const md = reportMarkdown(r, {});
    assert.match(md, /^# Foresight simulation — OK$/m);
    assert.match(md, /^\| lower bound \| \d+\.\d s \(exact fluid LP\) \|$/m);
    assert.match(
      md,
      new RegExp(`^\\| makespan ÷ lower bound \\| ${r.lowerBound.ratio.toFixed(3)} \\|$`, "m"),
    );
  });
});
