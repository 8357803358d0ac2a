import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { dashboardBound, startDashboard } from "../../../roles/run_dashboard.ts";
import { reportBound } from "../../../report/report_bound.ts";
import { RunTimeline } from "../../../report/run_timeline.ts";
import type { DashboardBound } from "../../../admin/dashboard_app.ts";
import { EXACT, runReport, SCENARIO } from "../report/report_fixture.ts";

describe("dashboardBound", () => {
  it("shows the bound during the run, the ratio to come", () => {
    assert.deepEqual(dashboardBound(EXACT, 2), {
      seconds: 2000,
      exact: true,
      method: "exact fluid LP",
      ratio: null,
      note: "when the run is over",
    });
  });

  it("shows the ratio of a complete run", () => {
    const r = runReport();
    assert.deepEqual(dashboardBound(reportBound(r, EXACT), 2, r.simSeconds), {
      seconds: 2000,
      exact: true,
      method: "exact fluid LP",
      ratio: 2022 / 2000,
      makespan: 2022,
    });
  });

  it("says why an interrupted run has no ratio, and when the bound is not exact", () => {
    const r = runReport({ interrupted: "SIGINT" });
    const b = dashboardBound(reportBound(r, { ...EXACT, exact: false, classes: 900 }), 12);
    assert.equal(b.ratio, null);
    assert.equal(b.note, "not meaningful: the run was interrupted by SIGINT");
    assert.equal(
      b.method,
      "not exact: closed form, as the exact LP for 12 clients (900 classes) is too large to solve",
    );
  });
});

describe("startDashboard", () => {
  it("serves the bound in its state as far as it is known: none, the bound, the ratio", async () => {
    let shown: DashboardBound | null = null;
    const board = await startDashboard(
      new RunTimeline(SCENARIO, 0),
      { hostname: "127.0.0.1", port: 0 },
      () => shown,
    );
    try {
      const state = async () => (await (await fetch(`${board.url}state`)).json()).bound;
      assert.equal(await state(), null);
      shown = dashboardBound(EXACT, SCENARIO.clients);
      assert.deepEqual(await state(), shown);
      const r = runReport();
      shown = dashboardBound(reportBound(r, EXACT), SCENARIO.clients, r.simSeconds);
      assert.equal((await state()).ratio, 1.011);
    } finally {
      await board.close();
    }
  });
});
