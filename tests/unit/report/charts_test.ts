import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { lineChart, thin } from "../../../report/line_chart.ts";
import { barChart } from "../../../report/bar_chart.ts";
import { cacheChart, clientChart, linkChart } from "../../../report/run_charts.ts";
import { RunTimeline } from "../../../report/run_timeline.ts";
import { byteAxis, formatBytes, niceTicks, xmlEscape } from "../../../report/svg_text.ts";
import { CANONICAL } from "../../../core/run/scenario.ts";
import { progress, stats } from "../protocol/fake_events.ts";

/** Every tag opened is closed, in order (a small well-formedness check without a DOM). */
function assertBalanced(svg: string) {
  const stack: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([a-zA-Z]+)[^>]*?(\/?)>/g)) {
    if (m[3]) continue;
    if (m[1]) assert.equal(stack.pop(), m[2], `closing ${m[2]}`);
    else stack.push(m[2]!);
  }
  assert.deepEqual(stack, []);
  const text = svg.replace(/<[^>]*>/g, "");
  assert.doesNotMatch(text, /[<>]|&(?!(amp|lt|gt|quot);)/, "text is escaped");
}

describe("svg helpers", () => {
  it("round ticks, byte units, escaping", () => {
    assert.deepEqual(niceTicks(0, 97, 5), [0, 20, 40, 60, 80, 100]);
    assert.deepEqual(niceTicks(-10, 10, 4), [-10, -5, 0, 5, 10]);
    assert.equal(formatBytes(512), "512 B");
    assert.equal(formatBytes(1536), "1.50 KiB");
    assert.equal(formatBytes(25 * 1_048_576), "25.0 MiB");
    const axis = byteAxis(3 * 1_048_576, "/s");
    assert.deepEqual(axis.ticks(0, 3 * 1_048_576).map(axis.format), [
      "0 MiB/s",
      "1 MiB/s",
      "2 MiB/s",
      "3 MiB/s",
    ]);
    assert.equal(xmlEscape(`a<b & "c">`), "a&lt;b &amp; &quot;c&quot;&gt;");
  });

  it("thin averages long series into buckets and keeps short ones", () => {
    assert.deepEqual(thin([[0, 1], [1, 3], [2, 5], [3, 7]], 2), [[0.5, 2], [2.5, 6]]);
    assert.deepEqual(thin([[0, 1]], 10), [[0, 1]]);
    const long = Array.from({ length: 10_000 }, (_, i) => [i, i % 7] as [number, number]);
    assert.ok(thin(long, 600).length <= 600);
  });

  it("a line chart has a path per series, a legend, escaped labels and a marker", () => {
    const svg = lineChart({
      title: 'Bytes <&> "time"',
      xLabel: "seconds",
      series: [
        { name: "a<b", points: [[-2, 0], [0, 5], [10, 10]] },
        { name: "cap", points: [[-2, 12], [10, 12]], dashed: true },
      ],
      markers: [{ x: 0, label: "start" }],
    });
    assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.equal((svg.match(/<path /g) ?? []).length, 2);
    assert.match(svg, /stroke-dasharray="6 4"/);
    assert.match(svg, /a&lt;b/);
    assert.match(svg, />start</);
    assertBalanced(svg);
  });

  it("an empty chart says so", () => {
    const svg = lineChart({ title: "T", xLabel: "x", series: [], empty: "waiting" });
    assert.match(svg, />waiting</);
    assertBalanced(svg);
  });

  it("a bar chart has a labelled bar per row", () => {
    const svg = barChart({
      title: "Finish",
      xLabel: "s",
      bars: [{ label: "client 0", value: 3 }, { label: "client 1", value: 5.5 }],
      format: (v) => `${v} s`,
    });
    assert.equal((svg.match(/<rect x=/g) ?? []).length, 2);
    assert.match(svg, />client 1</);
    assert.match(svg, />5.5 s</);
    assertBalanced(svg);
  });

  it("the run charts draw a timeline's links, caches (with capacity) and clients", () => {
    const s = { ...CANONICAL, caches: 2, clients: 3, requests: 10, capacityKiB: 100, scale: 5 };
    const tl = new RunTimeline(s, 0);
    tl.tick(0);
    tl.record({ role: "origin", index: 0 }, { event: "start", at: 0 }, 0.5);
    for (let i = 1; i <= 8; i++) {
      const t = i * 0.25;
      tl.record(
        { role: "cache", index: 0 },
        stats("cache", {
          usedBytes: i * 1000,
          pushedBytes: i * 5000,
          bytesToClients: i * 4000,
        }),
        t,
      );
      tl.record({ role: "cache", index: 1 }, stats("cache", { usedBytes: i * 800 }), t);
      tl.record({ role: "client", index: i % 3 }, progress({ index: i % 3, files: i, of: 10 }), t);
      tl.tick(t);
    }
    const links = linkChart(tl);
    assert.equal((links.match(/<path /g) ?? []).length, 3);
    assert.match(links, /origin → cache/);
    assert.match(links, />clients start</);
    const caches = cacheChart(tl);
    assert.equal((caches.match(/<path /g) ?? []).length, 3, "two caches and the capacity");
    assert.match(caches, />capacity</);
    assert.match(caches, /KiB/);
    const clients = clientChart(tl);
    assert.equal((clients.match(/<path /g) ?? []).length, 3);
    assert.match(clients, />100 %</);
    for (const svg of [links, caches, clients]) assertBalanced(svg);
  });
});
