/**
 * The origin engine driven by hand: a cache restarted in a lost one's place
 * (rejoin, with the files listed per client) and a place retaken before the
 * warm-up.
 */
import { routeOf } from "../../../engine/origin_state.ts";
import { describe, it } from "node:test";
import type { OriginPolicy } from "../../../core/policies/policy.ts";
import assert from "node:assert/strict";
import {
  empty,
  joinCache,
  journal,
  LISTS,
  named,
  push,
  sentTo,
  serveDirect,
  transfers,
  world,
} from "./origin_world.ts";

/** Replaces the policy's upcoming order of `w`'s origin by `upcoming` (the rest stays the policy's). */
function withUpcoming(
  w: ReturnType<typeof world>,
  upcoming: (real: OriginPolicy, cache: number) => number[],
): void {
  const { st } = w.engine;
  const real = st.policy!;
  st.policy = {
    warmup: () => real.warmup(),
    hint: (k) => real.hint(k),
    grant: (k, f) => real.grant(k, f),
    routes: (c) => real.routes(c),
    pushCount: (k, f) => real.pushCount!(k, f),
    upcoming: (k) => upcoming(real, k),
  };
}

describe("rejoin", () => {
  /**
   * Foresight plan (capacity 12 KiB): cache 0 warmed with 12, then pushes 2,
   * 6, 8, 10; clients 0 and 1 take 2, 6, 10, 12 there, client 2 also 8. Here
   * 2 is pushed, client 1 is served 6 directly, client 2 is lost, and cache 0
   * dies (its restart is up to each test).
   */
  const lostCache = () => {
    const w = world("foresight");
    const { st } = w.engine;
    assert.deepEqual(st.policy!.upcoming?.(0), [2, 6, 8, 10], "the plan this test assumes");
    assert.deepEqual(
      [0, 1, 2].map((c) =>
        st.lists[c]!.filter((f) => routeOf(st, c, f) === 0).sort((a, b) => a - b)
      ),
      [[2, 6, 10, 12], [2, 6, 10, 12], [2, 6, 8, 10, 12]],
      "the routes this test assumes",
    );
    assert.deepEqual(push(w, 0, 2), [0, 1, 2]);
    serveDirect(w, 1, 6);
    w.feed({ type: "client-lost", client: 2, reason: "reset" });
    w.feed({ type: "cache-lost", cache: 0, generation: 0, reason: "reset" });
    return w;
  };

  it("tells each present client what to fetch there again, then starts the cache with its hint", () => {
    const w = lostCache();
    const { st } = w.engine;
    assert.deepEqual(st.policy!.upcoming?.(0), [6, 8, 10]);
    assert.equal(st.policy!.hint(0), 6);
    const out = joinCache(w, undefined, "198.51.100.7", 9000);
    assert.deepEqual(out[0], { kind: "admit", role: "cache", index: 0, generation: 1 });
    const told = (files: number[]) => ({
      type: "rejoin",
      cache: 0,
      generation: 1,
      host: "198.51.100.7",
      port: 9000,
      files,
    });
    assert.deepEqual(sentTo(out, "client", 0), [told([6, 10])]);
    assert.deepEqual(sentTo(out, "client", 1), [told([10])], "6 was served directly");
    assert.deepEqual(sentTo(out, "client", 2), [], "client 2 is gone");
    assert.deepEqual(journal(out), [
      "cache0 welcome",
      "client0 rejoin",
      "client1 rejoin",
      "cache0 start",
    ]);
    assert.deepEqual(sentTo(out, "cache", 0).at(-1), { type: "start", next: 6 });
    assert.equal(w.engine.summary.rejoinedCaches, 1);
    assert.deepEqual(named(out, "cache-rejoined"), [{ event: "cache-rejoined", index: 0 }]);
  });

  it("lists the files in the policy's upcoming order, not by id", () => {
    const w = lostCache();
    withUpcoming(w, (real, k) => real.upcoming!(k).reverse());
    const out = joinCache(w, undefined, "198.51.100.7", 9000);
    assert.deepEqual(sentTo(out, "client", 0).map((m) => m.type === "rejoin" && m.files), [[
      10,
      6,
    ]]);
  });

  it("tells a client only files it listed, whatever the cache will get", () => {
    const w = lostCache();
    // 4 and 14: cache 0's shard, but client 0 never listed 14, client 1 neither.
    withUpcoming(w, () => [4, 6, 14, 10]);
    const out = joinCache(w, undefined, "198.51.100.7", 9000);
    for (const c of [0, 1]) {
      for (const m of sentTo(out, "client", c)) {
        const files = m.type === "rejoin" ? m.files : [];
        for (const f of files) assert.ok(LISTS[c]!.includes(f), `client ${c} told file ${f}`);
      }
    }
  });

  it("without an upcoming order, sends each client its files routed there, ascending", () => {
    const w = world("seed", 1);
    assert.equal(w.engine.st.policy!.upcoming, undefined);
    assert.deepEqual(push(w, 0, 2), [0, 1, 2]);
    serveDirect(w, 0, 4);
    w.feed({ type: "done", client: 2 });
    w.feed({ type: "cache-lost", cache: 0, generation: 0, reason: "reset" });
    const out = joinCache(w, undefined, "198.51.100.9", 9100);
    const told = (files: number[]) => ({
      type: "rejoin",
      cache: 0,
      generation: 1,
      host: "198.51.100.9",
      port: 9100,
      files,
    });
    assert.deepEqual(sentTo(out, "client", 0), [told([6, 8, 10, 12])]);
    assert.deepEqual(sentTo(out, "client", 1), [told([4, 6, 8, 10, 12])]);
    assert.deepEqual(sentTo(out, "client", 2), [], "client 2 is done");
    assert.deepEqual(journal(out), [
      "cache0 welcome",
      "client0 rejoin",
      "client1 rejoin",
      "cache0 start",
    ]);
    // At 1 KiB no file fits a cache: the restarted cache is hinted none.
    assert.deepEqual(sentTo(out, "cache", 0).at(-1), { type: "start", next: null });
  });

  it("retakes a place lost before the warm-up: the new cache is warmed, told clients get the new list", () => {
    const w = empty();
    joinCache(w, 0);
    joinCache(w, 1);
    w.feed({ type: "join", role: "client" });
    w.feed({ type: "cache-lost", cache: 1, generation: 0, reason: "reset" });
    assert.deepEqual(w.engine.summary.lost, [{
      role: "cache",
      index: 1,
      phase: "registering",
      reason: "reset",
    }]);
    const out = joinCache(w, undefined, "198.51.100.7", 9001);
    assert.deepEqual(out[0], { kind: "admit", role: "cache", index: 1, generation: 1 });
    assert.equal(w.engine.st.caches[1]!.rejoined, false, "it is warmed like any other");
    assert.deepEqual(named(out, "cache-rejoined"), [{ event: "cache-rejoined", index: 1 }]);
    assert.equal(w.engine.summary.rejoinedCaches, 1);
    assert.deepEqual(sentTo(out, "client", 0), [{
      type: "caches",
      caches: [
        { index: 0, host: "192.0.2.10", port: 7000, generation: 0 },
        { index: 1, host: "198.51.100.7", port: 9001, generation: 1 },
      ],
    }]);
    assert.deepEqual(sentTo(out, "client", 1), [], "not registered yet");
    for (const _ of [1, 2]) w.feed({ type: "join", role: "client" });
    LISTS.forEach((files, client) => w.feed({ type: "list", client, files }));
    assert.deepEqual(sentTo(w.log, "cache", 1).at(-1), { type: "start" });
    assert.deepEqual(transfers(w.log).filter((t) => t.startsWith("cache 1")), [
      "cache 1: 3 ×2",
      "cache 1: 5 ×1",
    ]);
  });
});
