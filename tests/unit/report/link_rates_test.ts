import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  linkRates,
  MIN_TAKEN_MS,
  ratesText,
  ShapingTally,
  shortClasses,
  shortfallWarning,
} from "../../../report/link_rates.ts";
import { buildReport, renderReport, type Summary } from "../../../report/run_report.ts";
import { reportMarkdown } from "../../../report/report_markdown.ts";
import { SCENARIO } from "./report_fixture.ts";

const shaping = (shapedMs: number, takenMs: number, transfers = 10) => ({
  transfers,
  bytes: transfers * 1000,
  shapedMs,
  takenMs,
  lateStartMs: 0,
});

/** An origin and two caches: origin→cache at 61 %, the rest held. */
function summaries(): Summary[] {
  return [
    {
      role: "origin",
      index: 0,
      ok: true,
      shapingToCaches: shaping(6100, 10_000),
      shapingToClients: shaping(2000, 2000),
    },
    { role: "cache", index: 0, ok: true, shapingToClients: shaping(3000, 3000) },
    { role: "cache", index: 1, ok: true, shapingToClients: shaping(1000, 1050) },
  ];
}

describe("link rates", () => {
  it("sums each class over its roles and names the classes that fell short", () => {
    const rates = linkRates(summaries());
    assert.equal(rates.originToCache.achieved, 0.61);
    assert.equal(rates.originToClient.achieved, 1);
    assert.deepEqual(rates.cacheToClient, {
      transfers: 20,
      bytes: 20_000,
      shapedMs: 4000,
      takenMs: 4050,
      lateStartMs: 0,
      achieved: 0.9877,
    });
    assert.deepEqual(shortClasses(rates), ["originToCache"]);
    assert.equal(
      ratesText(rates),
      "origin → cache 61.0 %, origin → client 100 %, cache → client 98.8 %",
    );
    assert.equal(
      shortfallWarning(rates, 20),
      "links origin → cache achieved 61.0 % of their shaped rate: this machine cannot sustain " +
        "--scale 20 for this scenario; the makespan is not comparable with the simulation; " +
        "try --scale auto or a lower --scale",
    );
    assert.match(
      shortfallWarning(rates, 1, true)!,
      /cannot sustain --scale 1 .*; --scale auto chose this scale, .* try a lower --scale$/,
    );
    const mild = linkRates([{
      role: "cache",
      index: 0,
      ok: true,
      shapingToClients: shaping(9090, 10_000),
    }]);
    assert.equal(
      shortfallWarning(mild, 1),
      "links cache → client achieved 90.9 % of their shaped rate: this machine did not fully " +
        "sustain --scale 1 for this scenario; the makespan may differ from the simulation's; " +
        "try --scale auto or a lower --scale",
    );
  });

  it("does not judge a class that carried too little work, nor warn when every class held", () => {
    const rates = linkRates([
      {
        role: "origin",
        index: 0,
        ok: true,
        shapingToCaches: shaping((MIN_TAKEN_MS - 1) / 10, MIN_TAKEN_MS - 1, 1),
      },
    ]);
    assert.ok(rates.originToCache.achieved < 0.2);
    assert.deepEqual(shortClasses(rates), []);
    assert.equal(shortfallWarning(rates, 20), undefined);
    assert.equal(
      ratesText(rates),
      "origin → cache 10.0 %, origin → client idle, cache → client idle",
    );
  });

  it("keeps each role's latest figures, not their sum over stats events", () => {
    const tally = new ShapingTally();
    tally.record({ role: "cache", index: 0 }, { shapingToClients: shaping(100, 200) });
    tally.record({ role: "cache", index: 0 }, { shapingToClients: shaping(1500, 2000) });
    tally.record({ role: "client", index: 0 }, { shapingToClients: shaping(1, 100) });
    tally.record({ role: "cache", index: 1 }, { shapingToClients: "not a snapshot" });
    assert.equal(tally.rates().cacheToClient.shapedMs, 1500);
    assert.equal(tally.rates().cacheToClient.achieved, 0.75);
  });

  it("puts the rates and the warning in the text, JSON and Markdown reports of a run", () => {
    const s = summaries();
    const processes = s.map((x) => ({
      role: x.role,
      index: x.index,
      runtime: "node",
      exitCode: 0,
      peakRssBytes: 1,
    }));
    const report = buildReport(SCENARIO, s, processes, 10, []);
    const json = JSON.parse(JSON.stringify(report));
    assert.equal(json.linkRates.originToCache.achieved, 0.61);
    assert.match(json.linkShortfall, /^links origin → cache achieved 61\.0 %/);
    const text = renderReport(report);
    assert.match(text, /achieved ÷ shaped link rate \(while busy\): origin → cache 61\.0 %/);
    assert.match(
      text,
      new RegExp(
        `WARNING: links origin → cache achieved 61\\.0 % .* cannot sustain --scale ${SCENARIO.scale} `,
      ),
    );
    const md = reportMarkdown(report, {});
    assert.match(md, /## Links: achieved against shaped/);
    assert.match(md, /\*\*Warning\*\*: links origin → cache/);
    assert.match(md, /\| origin → cache \| 10 \| .* \| 6\.1 s \| 10\.0 s \| 61\.0 % \|/);
    const held = buildReport(SCENARIO, s.slice(1), processes.slice(1), 10, []);
    assert.equal(held.linkShortfall, undefined);
    assert.doesNotMatch(renderReport(held), /WARNING/);
  });
});
