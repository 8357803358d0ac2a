import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { prometheusText } from "../../../admin/prometheus.ts";

describe("prometheusText", () => {
  it("writes HELP and TYPE once per family, then each label set", () => {
    const text = prometheusText("origin", { bytesToCaches: 10, bytesToClients: 20 }, "running");
    const lines = text.trimEnd().split("\n");
    const family = lines.filter((l) => l.includes("foresight_link_sent_bytes_total"));
    assert.deepEqual(family, [
      "# HELP foresight_link_sent_bytes_total Bytes sent over a kind of link.",
      "# TYPE foresight_link_sent_bytes_total counter",
      'foresight_link_sent_bytes_total{link="origin_to_cache"} 10',
      'foresight_link_sent_bytes_total{link="origin_to_client"} 20',
    ]);
    assert.ok(text.endsWith("\n"));
  });

  it("leaves out fields the stats lack, and reads non-finite numbers as Prometheus spells them", () => {
    const text = prometheusText(
      "cache",
      { index: 2, usedBytes: NaN, capacityBytes: Infinity },
      "warming",
    );
    assert.doesNotMatch(text, /foresight_cache_hits_total/);
    assert.match(text, /^foresight_cache_used_bytes\{cache="2"\} NaN$/m);
    assert.match(text, /^foresight_cache_capacity_bytes\{cache="2"\} \+Inf$/m);
  });

  it("shows the phase as a state set", () => {
    const text = prometheusText("client", { index: 0 }, "waiting");
    const phases = text.split("\n").filter((l) => l.startsWith("foresight_phase{"));
    assert.equal(phases.length, 6);
    assert.deepEqual(phases.filter((l) => l.endsWith(" 1")), [
      'foresight_phase{client="0",role="client",phase="waiting"} 1',
    ]);
  });

  it("counters end in _total and every name carries a unit", () => {
    const text = prometheusText("cache", {
      index: 0,
      capacityBytes: 1,
      usedBytes: 1,
      peakBytes: 1,
      filesHeld: 1,
      hits: 1,
      misses: 1,
      evicted: 1,
      pushedBytes: 1,
      pushedFiles: 1,
      bytesToClients: 1,
      clientsConnected: 1,
      pagesAllocated: 1,
      process: { rssBytes: 1, uptimeSeconds: 1 },
    }, "running");
    for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
      if (m[2] === "counter") assert.match(m[1]!, /_total$/);
      assert.match(m[1]!, /_(bytes|files|seconds|total|connected|allocated)$|^foresight_phase$/);
    }
  });
});
