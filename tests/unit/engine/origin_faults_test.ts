/**
 * The origin engine's fault handling, driven by hand: a cut client–cache
 * link, a lost client (its demand released), a lost cache (its files back at
 * the origin) in each phase of the run.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ORIGIN_OWNER } from "../../../core/demand/demand_ledger.ts";
import { pushMembers } from "../../../engine/origin_state.ts";
import {
  empty,
  joinCache,
  LISTS,
  named,
  push,
  sentTo,
  serveDirect,
  type World,
  world,
} from "./origin_world.ts";

const members = (w: World, cache: number, file: number) =>
  pushMembers(w.engine.st, cache, file).members;
const releases = (w: World, cache: number) =>
  sentTo(w.log, "cache", cache).filter((m) => m.type === "release");
const cut = (w: World, client: number, cache: number, generation = 0) =>
  w.feed({ type: "link-lost", client, cache, generation });

describe("a cut link", () => {
  /** Seed run (12 KiB) warmed with 2, 4, 6 in cache 0 and 3, 5 in cache 1. */
  const pushed = () => {
    const w = world();
    const m = w.engine.st.caches.map((c) => Object.fromEntries(c!.members));
    assert.deepEqual(m, [{ 2: [0, 1, 2], 4: [0, 1], 6: [0, 1, 2] }, { 3: [0, 2], 5: [1] }]);
    return w;
  };

  it("has the cache forgo exactly the files whose pushes carried the client, and leaves it out later", () => {
    const w = pushed();
    const { st, summary } = w.engine;
    const out = cut(w, 1, 0);
    assert.deepEqual([...st.caches[0]!.abandoned], [1]);
    assert.equal(summary.cutLinks, 1);
    assert.deepEqual(sentTo(out, "cache", 0), [{ type: "release", client: 1, files: [2, 4, 6] }]);
    assert.deepEqual(sentTo(out, "cache", 1), [], "the other cache is not told");
    assert.equal(st.caches[1]!.abandoned.size, 0);
    assert.deepEqual(named(out, "link-cut"), [{ event: "link-cut", client: 1, cache: 0 }]);
    assert.deepEqual(members(w, 0, 8), [0, 2], "later pushes leave the client out");
    assert.deepEqual(members(w, 1, 11), [1], "its other cache still carries it");
  });

  it("lists only that client's files at that cache, none when no push carried it", () => {
    const w = pushed();
    assert.deepEqual(sentTo(cut(w, 2, 1), "cache", 1), [{
      type: "release",
      client: 2,
      files: [3],
    }]);
    assert.deepEqual(sentTo(cut(w, 1, 1), "cache", 1), [{
      type: "release",
      client: 1,
      files: [5],
    }]);
    const w1 = world("seed", 1);
    assert.deepEqual(sentTo(cut(w1, 0, 0), "cache", 0), [{
      type: "release",
      client: 0,
      files: [],
    }]);
  });

  it("ignores a repeat", () => {
    const w = pushed();
    cut(w, 1, 0);
    assert.deepEqual(cut(w, 1, 0), []);
    assert.equal(w.engine.summary.cutLinks, 1);
    assert.equal(releases(w, 0).length, 1);
    assert.equal(named(w.log, "link-cut").length, 1);
  });

  it("ignores a lost cache", () => {
    const w = pushed();
    w.feed({ type: "cache-lost", cache: 0, generation: 0, reason: "reset" });
    assert.deepEqual(cut(w, 1, 0), []);
    assert.equal(w.engine.summary.cutLinks, 0);
    assert.equal(w.engine.st.caches[0]!.abandoned.size, 0);
    assert.deepEqual(sentTo(w.log, "cache", 0), []);
  });

  it("ignores a `lost` about an earlier cache in that place (stale generation)", () => {
    const w = pushed();
    w.feed({ type: "cache-lost", cache: 0, generation: 0, reason: "reset" });
    joinCache(w, undefined, "198.51.100.7", 9000);
    assert.equal(w.engine.st.caches[0]!.generation, 1);
    assert.deepEqual(push(w, 0, 8), [0, 1, 2]);
    w.log.length = 0;
    assert.deepEqual(cut(w, 1, 0, 0), []);
    assert.equal(w.engine.summary.cutLinks, 0);
    assert.equal(w.engine.st.caches[0]!.abandoned.size, 0);
    assert.deepEqual(cut(w, 1, 0, 2), [], "nor one about a later generation");
    assert.equal(w.engine.summary.cutLinks, 0);
    const out = cut(w, 1, 0, 1);
    assert.equal(w.engine.summary.cutLinks, 1);
    assert.deepEqual(sentTo(out, "cache", 0), [{ type: "release", client: 1, files: [8] }]);
  });

  it("ignores a cache place that does not exist", () => {
    const w = pushed();
    assert.deepEqual(cut(w, 1, 7), []);
    assert.equal(w.engine.summary.cutLinks, 0);
  });
});

describe("a lost client", () => {
  /** Seed run (1 KiB: no warm-up): 2 pushed into cache 0 (all three), 5 into cache 1 (client 1), 6 served to client 1 directly. */
  const started = () => {
    const w = world("seed", 1);
    assert.deepEqual(push(w, 0, 2), [0, 1, 2]);
    assert.deepEqual(push(w, 1, 5), [1]);
    serveDirect(w, 1, 6);
    w.log.length = 0;
    return w;
  };
  const counts = (w: World, files: number[]) => files.map((f) => w.engine.st.ledger.outstanding(f));
  const lose = (w: World, client: number, reason = "reset") =>
    w.feed({ type: "client-lost", client, reason });

  it("withdraws the requests still at the origin, not those served or handed to a cache", () => {
    const w = started();
    const { st } = w.engine;
    const list = LISTS[1]!; // [2, 4, 5, 6, 8, 10, 11, 12]
    assert.deepEqual(counts(w, list), [0, 2, 0, 2, 3, 3, 1, 3]);
    lose(w, 1, "connection reset");
    assert.deepEqual(counts(w, list), [0, 1, 0, 2, 2, 2, 0, 2]);
    assert.equal(st.ledger.totals().cancelled, 5);
    assert.equal(st.ledger.owner(2), 0);
    assert.equal(st.ledger.owner(5), 1);
    assert.ok(st.lostClients.has(1));
    assert.equal(w.engine.summary.lostClients, 1);
  });

  it("has every live cache forgo what its pushes carried for the client", () => {
    const w = started();
    const out = lose(w, 1, "connection reset");
    assert.deepEqual(sentTo(out, "cache", 0), [{ type: "release", client: 1, files: [2] }]);
    assert.deepEqual(sentTo(out, "cache", 1), [{ type: "release", client: 1, files: [5] }]);
    const lost = { index: 1, phase: "running", reason: "connection reset" };
    assert.deepEqual(named(out, "client-lost"), [{ event: "client-lost", ...lost }]);
    assert.deepEqual(w.engine.summary.lost, [{ role: "client", ...lost }]);
    const again = lose(w, 2, "gone");
    assert.deepEqual(sentTo(again, "cache", 0), [{ type: "release", client: 2, files: [2] }]);
    assert.deepEqual(sentTo(again, "cache", 1), [{ type: "release", client: 2, files: [] }]);
  });

  it("tells a lost cache nothing", () => {
    const w = started();
    w.feed({ type: "cache-lost", cache: 1, generation: 0, reason: "reset" });
    const out = lose(w, 1);
    assert.deepEqual(sentTo(out, "cache", 1), []);
    assert.deepEqual(sentTo(out, "cache", 0), [{ type: "release", client: 1, files: [2] }]);
  });

  it("ends the run once every client is done or gone, not before", () => {
    const w = started();
    w.feed({ type: "done", client: 0 });
    assert.deepEqual(lose(w, 1).filter((e) => e.kind === "stop"), []);
    const out = lose(w, 2);
    assert.deepEqual(out.filter((e) => e.kind === "stop"), [{
      kind: "stop",
      reason: "every client is done or gone",
    }]);
    assert.deepEqual(named(out, "phase"), [{ event: "phase", phase: "stopping" }]);
    assert.equal(w.engine.finished, true);
    assert.equal(w.engine.end().ok, true);
  });

  it("ignores a repeat and a client that is done", () => {
    const w = started();
    const { st, summary } = w.engine;
    lose(w, 1);
    const cancelled = st.ledger.totals().cancelled;
    assert.deepEqual(lose(w, 1, "reset again"), []);
    assert.equal(summary.lostClients, 1);
    assert.equal(st.ledger.totals().cancelled, cancelled);
    assert.equal(releases(w, 0).length, 1);
    w.feed({ type: "done", client: 0 });
    assert.deepEqual(lose(w, 0, "after done"), []);
    assert.ok(!st.lostClients.has(0));
    assert.equal(summary.lostClients, 1);
    assert.equal(st.ledger.totals().cancelled, cancelled);
    assert.equal(releases(w, 0).length, 1);
    assert.deepEqual(w.log.filter((e) => e.kind === "stop"), []);
  });

  it("leaves at the origin the requests of others when the client's own went with a partial push", () => {
    // Foresight plan: file 8 goes to cache 0 for client 2 only; clients 0 and 1 fetch it directly.
    const w = world("foresight");
    const { st } = w.engine;
    assert.equal(st.policy!.pushCount?.(0, 8), 1);
    assert.deepEqual(push(w, 0, 2), [0, 1, 2]);
    assert.deepEqual(push(w, 0, 6), [0, 1, 2]);
    assert.deepEqual(push(w, 0, 8), [2]);
    assert.equal(st.ledger.outstanding(8), 2, "the two direct requests stay at the origin");
    lose(w, 2);
    assert.equal(st.ledger.outstanding(8), 2, "client 2's request went with the push");
    serveDirect(w, 0, 8);
    serveDirect(w, 1, 8);
    assert.equal(st.ledger.outstanding(8), 0);
    assert.equal(w.engine.summary.ownerRaces, 0, "both were owed at the origin");
  });

  it("does not release again at a cache the client already cut (the cache forgoes per release)", () => {
    const w = started();
    cut(w, 1, 0);
    assert.deepEqual(releases(w, 0), [{ type: "release", client: 1, files: [2] }]);
    const out = lose(w, 1);
    assert.equal(releases(w, 0).length, 1);
    assert.deepEqual(sentTo(out, "cache", 1), [{ type: "release", client: 1, files: [5] }]);
  });

  it("lost before its list, no longer holds up the warm-up, and is sent nothing", () => {
    const w = empty();
    for (const k of [0, 1]) joinCache(w, k);
    for (const _ of LISTS) w.feed({ type: "join", role: "client" });
    w.feed({ type: "list", client: 0, files: LISTS[0]! });
    w.feed({ type: "list", client: 1, files: LISTS[1]! });
    assert.equal(w.engine.st.policy, undefined);
    const out = lose(w, 2);
    assert.deepEqual(w.engine.summary.lost, [{
      role: "client",
      index: 2,
      phase: "registering",
      reason: "reset",
    }]);
    assert.deepEqual(named(out, "phase"), [{ event: "phase", phase: "warming" }]);
    for (const cache of [0, 1]) w.feed({ type: "warm", cache });
    assert.equal(w.engine.st.started, true);
    assert.deepEqual(sentTo(w.log, "client", 2).map((m) => m.type), ["welcome", "caches"]);
    assert.deepEqual(sentTo(w.log, "client", 0).slice(-1), [{ type: "start" }]);
  });
});

describe("a lost cache", () => {
  it("is lost only for its generation, takes its files back, once", () => {
    const w = world("seed", 1);
    const { st, summary } = w.engine;
    assert.deepEqual(push(w, 0, 2), [0, 1, 2]);
    assert.deepEqual(push(w, 0, 4), [0, 1]);
    assert.deepEqual(push(w, 1, 5), [1]);
    const lose = (generation: number, reason: string) =>
      w.feed({ type: "cache-lost", cache: 0, generation, reason });
    assert.deepEqual(lose(1, "some later cache's connection"), []);
    assert.equal(st.caches[0]!.lost, false);
    assert.equal(summary.lostCaches, 0);
    assert.equal(st.ledger.owner(2), 0);
    assert.equal(st.orphaned.size, 0);

    const out = lose(0, "connection reset");
    assert.equal(st.caches[0]!.lost, true);
    assert.equal(st.caches[1]!.lost, false);
    assert.equal(summary.lostCaches, 1);
    assert.deepEqual([...st.orphaned].sort((a, b) => a - b), [2, 4]);
    assert.equal(st.ledger.owner(2), ORIGIN_OWNER);
    assert.equal(st.ledger.owner(4), ORIGIN_OWNER);
    assert.equal(st.ledger.owner(5), 1, "cache 1 keeps its files");
    assert.deepEqual(named(out, "cache-lost"), [{
      event: "cache-lost",
      index: 0,
      phase: "running",
      reason: "connection reset",
    }]);

    assert.deepEqual(lose(0, "noticed again"), []);
    assert.equal(summary.lostCaches, 1);
    assert.deepEqual([...st.orphaned].sort((a, b) => a - b), [2, 4]);
  });

  it("changes nothing when the failure is noticed after another cache took the place", () => {
    const w = world("seed", 1);
    const { st, summary } = w.engine;
    w.feed({ type: "cache-lost", cache: 0, generation: 0, reason: "reset" });
    joinCache(w, undefined, "198.51.100.7", 9000);
    assert.deepEqual(push(w, 0, 2), [0, 1, 2]);
    assert.deepEqual(
      w.feed({ type: "cache-lost", cache: 0, generation: 0, reason: "late notice" }),
      [],
    );
    assert.equal(st.caches[0]!.generation, 1);
    assert.equal(st.caches[0]!.lost, false);
    assert.equal(summary.lostCaches, 1);
    assert.equal(st.ledger.owner(2), 0);
    assert.ok(!st.orphaned.has(2));
  });

  it("has its files served by the origin, counted as served for a lost cache", () => {
    const w = world("seed", 1);
    assert.deepEqual(push(w, 0, 2), [0, 1, 2]);
    w.feed({ type: "cache-lost", cache: 0, generation: 0, reason: "reset" });
    serveDirect(w, 0, 2);
    assert.equal(w.engine.summary.servedForLostCaches, 1);
    assert.equal(w.engine.summary.redirects, 0);
    const out = w.feed({ type: "refill", cache: 0, file: 4 });
    assert.deepEqual(out, [], "a lost cache's refill is ignored");
  });

  /** Loses cache 1 once `phase` is reached; returns the world and what losing it returned. */
  const loseIn = (phase: "registering" | "warming" | "running" | "stopping") => {
    const w = empty();
    for (const k of [0, 1]) joinCache(w, k);
    for (const _ of LISTS) w.feed({ type: "join", role: "client" });
    const lists = () => LISTS.forEach((files, client) => w.feed({ type: "list", client, files }));
    if (phase !== "registering") lists();
    if (phase === "running" || phase === "stopping") {
      for (const cache of [0, 1]) w.feed({ type: "warm", cache });
    }
    if (phase === "stopping") { for (const client of [0, 1, 2]) w.feed({ type: "done", client }); }
    const out = w.feed({ type: "cache-lost", cache: 1, generation: 0, reason: "reset" });
    if (phase === "registering") lists();
    return { w, out };
  };

  for (const phase of ["registering", "warming", "running"] as const) {
    it(`is lost in the ${phase} phase, and the run goes on without it`, () => {
      const { w, out } = loseIn(phase);
      assert.deepEqual(w.engine.summary.lost, [{
        role: "cache",
        index: 1,
        phase,
        reason: "reset",
      }]);
      assert.deepEqual(named(out, "cache-lost").length, 1);
      // Not waited for: cache 0's echo alone starts the clients.
      if (phase !== "running") w.feed({ type: "warm", cache: 0 });
      assert.equal(w.engine.st.started, true);
      const starts = w.log.filter((e) =>
        e.kind === "send" && e.message.type === "start" && e.to.role === "client"
      );
      assert.equal(starts.length, 3);
      if (phase === "registering") {
        assert.deepEqual(sentTo(w.log, "cache", 1).map((m) => m.type), ["welcome"]);
      }
      for (const client of [0, 1, 2]) w.feed({ type: "done", client });
      assert.equal(w.engine.finished, true);
    });
  }

  it("is not lost after the stop", () => {
    const { w, out } = loseIn("stopping");
    assert.deepEqual(out, []);
    assert.deepEqual(w.engine.summary.lost, []);
    assert.equal(w.engine.summary.lostCaches, 0);
  });
});
