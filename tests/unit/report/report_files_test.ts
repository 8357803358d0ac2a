import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { buildReport, renderReport, type Summary } from "../../../report/run_report.ts";
import { SCENARIO } from "./report_fixture.ts";

/** A report of two clients with the given summaries' extra fields (every process exited 0). */
function report(extra: [Partial<Summary>, Partial<Summary>]) {
  const summaries: Summary[] = extra.map((x, index) => ({
    role: "client",
    index,
    ok: true,
    files: 3,
    verified: 3,
    requested: 3,
    finishSimSeconds: 10,
    ...x,
  }));
  summaries.push({ role: "cache", index: 0, ok: true, capacityBytes: 1024, peakBytes: 512 });
  summaries.push({ role: "cache", index: 1, ok: true, capacityBytes: 1024, peakBytes: 512 });
  summaries.push({ role: "origin", index: 0, ok: true });
  const processes = summaries.map((s) => ({
    role: s.role,
    index: s.index,
    runtime: "node",
    exitCode: s.ok ? 0 : 1,
    peakRssBytes: 1,
  }));
  return buildReport(SCENARIO, summaries, processes, 1, []);
}

describe("a report of real files", () => {
  it("takes a client's own shorter list as complete", () => {
    const r = report([{}, { files: 2, verified: 2, requested: 2 }]);
    assert.equal(r.ok, true);
    assert.equal(r.clients[1]!.requested, 2);
    assert.equal(r.clients[0]!.requested, undefined, "the scenario's length is not repeated");
  });

  it("a failed file makes the run not ok, and says so per client; skipped and refetched files do not", () => {
    const failed = report([{ ok: false, verified: 2, failed: 1 }, { skipped: 2, refetched: 1 }]);
    assert.equal(failed.ok, false);
    const text = renderReport(failed);
    assert.match(text, /^ {2}client 0: 1 failed \(refused by the origin: changed on disk\)$/m);
    assert.match(text, /^ {2}client 1: 2 already in --out \(not fetched\), 1 fetched again/m);
    assert.equal(report([{ skipped: 3 }, { refetched: 2 }]).ok, true);
  });
});
