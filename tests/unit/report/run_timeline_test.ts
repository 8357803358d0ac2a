import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MAX_SAMPLES, RunTimeline } from "../../../report/run_timeline.ts";
import { CANONICAL, type Scenario } from "../../../core/run/scenario.ts";
import { progress, stats, summary } from "../protocol/fake_events.ts";

const s: Scenario = { ...CANONICAL, caches: 2, clients: 2, requests: 10, scale: 10 };
const cache = (index: number) => ({ role: "cache", index });
const client = (index: number) => ({ role: "client", index });
const origin = { role: "origin", index: 0 };

describe("RunTimeline", () => {
  it("turns cumulative link bytes into rates per simulated second over its window", () => {
    const tl = new RunTimeline(s, 100, 1);
    tl.tick(100);
    // 1 MiB per wall second on cache → client = 1 MiB / 10 simulated seconds.
    for (let i = 1; i <= 4; i++) {
      tl.record(cache(0), stats("cache", { bytesToClients: i * 262_144 }), 100 + i * 0.25);
      tl.tick(100 + i * 0.25);
    }
    const rates = tl.linkRateSeries().cacheToClient;
    assert.equal(rates.length, 5, "the idle sample before the first bytes is kept as a baseline");
    assert.ok(Math.abs(rates.at(-1)![1] - 1_048_576 / 10) < 1e-6, `rate ${rates.at(-1)![1]}`);
    assert.equal(tl.snapshot().links.cacheToClient.bytes, 1_048_576);
    assert.ok(Math.abs(tl.snapshot().links.cacheToClient.rate - 104_857.6) < 1e-6);
  });

  it("prefers the caches' received bytes for origin → cache, and the origin's for origin → client", () => {
    const tl = new RunTimeline(s, 0);
    tl.record(origin, stats("origin", { bytesToCaches: 5000, bytesToClients: 700 }), 0.1);
    assert.equal(tl.snapshot().links.originToCache.bytes, 5000, "until a cache reports");
    tl.record(cache(0), stats("cache", { pushedBytes: 1000 }), 0.2);
    tl.record(cache(1), stats("cache", { pushedBytes: 2000 }), 0.2);
    const l = tl.snapshot().links;
    assert.equal(l.originToCache.bytes, 3000);
    assert.equal(l.originToClient.bytes, 700);
  });

  it("measures x in simulated seconds since the clients' start, negative before", () => {
    const tl = new RunTimeline(s, 0);
    tl.record(cache(0), stats("cache", { usedBytes: 10 }), 1);
    tl.tick(1);
    tl.record(origin, { event: "start", at: 0 }, 2);
    tl.record(cache(0), stats("cache", { usedBytes: 20 }), 3);
    tl.tick(3);
    assert.equal(tl.started, true);
    assert.equal(tl.startWallSeconds, 2);
    assert.deepEqual(tl.cacheSeries()[0]!.points, [[-10, 10], [10, 20]]);
    assert.equal(tl.snapshot(3).simSeconds, 10);
    assert.equal(tl.snapshot(3).wallSeconds, 3);
  });

  it("leaves out the samples from before anything moved", () => {
    const tl = new RunTimeline(s, 0);
    for (let t = 0; t < 2; t += 0.5) tl.tick(t);
    tl.record(client(0), progress({ index: 0, files: 1, of: 10 }), 2);
    tl.tick(2);
    const points = tl.clientSeries()[0]!.points;
    assert.equal(points.length, 2);
    assert.deepEqual(points.map((p) => p[1]), [0, 10]);
  });

  it("keeps every client's progress from progress, stats and summary events", () => {
    const tl = new RunTimeline(s, 0);
    assert.equal(tl.snapshot().clients.length, 2, "every client is listed before it reports");
    tl.record(client(1), progress({ index: 1, files: 4, of: 10, bytes: 4096, hits: 3 }), 1);
    tl.record(client(0), stats("client", { files: 10, requested: 10, bytes: 10_240, hits: 9 }), 1);
    const snap = tl.snapshot();
    assert.deepEqual(snap.clients.map((c) => [c.files, c.of, c.done]), [[10, 10, true], [
      4,
      10,
      false,
    ]]);
    assert.equal(snap.filesDone, 14);
    assert.equal(snap.filesTotal, 20);
    tl.record(cache(0), stats("cache", { hits: 7 }), 1);
    assert.equal(tl.snapshot().hitRatio, 0.5, "cache hits over files received");
    tl.record(client(1), summary("client", { files: 10, requested: 10, finishSimSeconds: 42 }), 2);
    assert.equal(tl.snapshot().clients[1]!.simSeconds, 42);
  });

  it("follows the origin's phase, then done or failed", () => {
    const tl = new RunTimeline(s, 0);
    assert.equal(tl.snapshot().phase, "launching");
    tl.record(origin, stats("origin", { phase: "warming" }), 1);
    assert.equal(tl.snapshot().phase, "warming");
    tl.record(origin, stats("origin", { phase: "running" }), 2);
    assert.equal(tl.snapshot().phase, "running");
    tl.finish(false, 3);
    assert.equal(tl.snapshot().phase, "failed");
    tl.record(origin, stats("origin", { phase: "stopping" }), 4);
    assert.equal(tl.snapshot().phase, "failed", "a late event does not reopen a finished run");
  });

  it("stays bounded: past MAX_SAMPLES it keeps every other sample", () => {
    const tl = new RunTimeline(s, 0);
    for (let i = 0; i < MAX_SAMPLES * 3; i++) {
      tl.record(cache(0), stats("cache", { bytesToClients: i }), i * 0.1);
      tl.tick(i * 0.1);
    }
    const n = tl.samples().length;
    assert.ok(n <= MAX_SAMPLES && n > MAX_SAMPLES / 4, `${n} samples`);
    const ts = tl.samples().map((x) => x.t);
    assert.ok(ts.every((t, i) => i === 0 || t > ts[i - 1]!), "in time order");
    assert.ok(ts.at(-1)! > (MAX_SAMPLES * 3 - 20) * 0.1, "up to date");
  });
});
