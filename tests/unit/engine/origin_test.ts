/**
 * The origin engine driven by hand: registration (and its errors), which
 * clients a push carries and its count, redirects to the cache that owes a
 * request. Rejoin and retake: origin_rejoin_test.ts; faults:
 * origin_faults_test.ts.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ORIGIN_SOURCE } from "../../../core/policies/policy.ts";
import { isForesightError } from "../../../errors.ts";
import { PROTOCOL_VERSION } from "../../../protocol/mod.ts";
import { owedAt, pushMembers, routeOf } from "../../../engine/origin_state.ts";
import {
  empty,
  joinCache,
  LISTS,
  named,
  push,
  scenario,
  sentTo,
  serveDirect,
  transfers,
  warnings,
  type World,
  world,
} from "./origin_world.ts";

const members = (w: World, cache: number, file: number) =>
  pushMembers(w.engine.st, cache, file).members;

describe("pushMembers and the push count", () => {
  it("carries exactly the clients routed to that cache that will still ask it", () => {
    const w = world("seed", 1);
    const { st } = w.engine;
    assert.deepEqual(transfers(w.log), [], "1 KiB: no warm-up push");
    assert.deepEqual(members(w, 0, 2), [0, 1, 2]);
    assert.deepEqual(members(w, 0, 4), [0, 1]);
    assert.deepEqual(members(w, 1, 3), [0, 2]);
    assert.deepEqual(members(w, 1, 11), [1]);
    assert.deepEqual(members(w, 1, 2), [], "file 2 is routed to cache 0 by everyone");
    assert.deepEqual(members(w, 0, 14), [], "nobody asked for file 14");
    // The route, not the shard, decides.
    st.routeOf[1]!.set(2, ORIGIN_SOURCE);
    assert.deepEqual(members(w, 0, 2), [0, 2]);
    st.routeOf[2]!.set(2, 1);
    assert.deepEqual(members(w, 0, 2), [0]);
    assert.deepEqual(members(w, 1, 2), [2]);
  });

  it("pushes with the count of the clients it carries, and records them", () => {
    const w = world("seed", 1);
    const out = w.feed({ type: "refill", cache: 0, file: 4, at: 7 });
    assert.deepEqual(out.filter((e) => e.kind === "transfer"), [{
      kind: "transfer",
      to: { role: "cache", index: 0 },
      file: 4,
      size: 4096,
      count: 2,
      next: null, // at 1 KiB no file fits a cache: none is hinted
      cause: 7,
    }]);
    const { st } = w.engine;
    assert.deepEqual(st.caches[0]!.members.get(4), [0, 1]);
    assert.equal(st.ledger.owner(4), 0);
    assert.equal(st.ledger.outstanding(4), 0);
    assert.deepEqual([0, 1, 2].map((c) => st.carried[c]!.has(4)), [true, true, false]);
    assert.equal(w.engine.summary.filesToCaches, 1);
    assert.equal(w.engine.summary.bytesToCaches, 4096);
  });

  const exclusions: [string, (w: World) => void][] = [
    ["served directly", (w) => serveDirect(w, 1, 2)],
    ["carried by an earlier push", (w) => w.engine.st.carried[1]!.add(2)],
    ["lost", (w) => w.feed({ type: "client-lost", client: 1, reason: "reset" })],
    ["done", (w) => w.feed({ type: "done", client: 1 })],
    [
      "cut off from the cache (abandoned)",
      (w) => w.feed({ type: "link-lost", client: 1, cache: 0, generation: 0 }),
    ],
    ["routed to the origin", (w) => w.engine.st.routeOf[1]!.set(2, ORIGIN_SOURCE)],
  ];
  for (const [what, apply] of exclusions) {
    it(`leaves out a client ${what}`, () => {
      const w = world("seed", 1);
      assert.deepEqual(members(w, 0, 2), [0, 1, 2]);
      apply(w);
      assert.deepEqual(members(w, 0, 2), [0, 2]);
      assert.deepEqual(push(w, 0, 2), [0, 2]);
    });
  }

  for (const policy of ["lru", "belady"] as const) {
    it(`carries nobody under the pull-through policy ${policy} (pushCount 0)`, () => {
      const w = world(policy);
      const { st } = w.engine;
      assert.equal(st.policy!.pushCount?.(0, 2), 0);
      assert.equal(st.ledger.outstanding(2), 3);
      assert.equal(routeOf(st, 0, 2), 0);
      assert.deepEqual(pushMembers(st, 0, 2), { members: [], routed: 0 });
      assert.deepEqual(members(w, 1, 3), []);
      const out = w.feed({ type: "refill", cache: 0, file: 2 });
      assert.deepEqual(transfers(out), ["cache 0: 2 ×0"], "granted, carrying no demand");
      assert.equal(st.ledger.outstanding(2), 3);
      assert.deepEqual(warnings(w.log), [], "owning no demand is no anomaly");
    });
  }

  it("carries at most as many clients as the origin still owns requests", () => {
    const w = world("seed", 1);
    const { st } = w.engine;
    assert.equal(st.ledger.cancel(2), true);
    assert.equal(st.ledger.outstanding(2), 2);
    assert.deepEqual(pushMembers(st, 0, 2), { members: [0, 1], routed: 3 });
    assert.deepEqual(push(w, 0, 2), [0, 1]);
    assert.deepEqual(warnings(w.log).map((r) => r.fields), [
      { cache: 0, file: 2, routed: 3, owed: 2 },
    ]);
    assert.deepEqual(members(w, 0, 2), [], "the origin owns none");
  });

  it("carries at most as many clients as the policy's pushCount", () => {
    const w = world("foresight");
    const { st } = w.engine;
    assert.equal(
      st.policy!.pushCount?.(0, 8),
      1,
      "the plan this test assumes: one request via cache 0",
    );
    assert.deepEqual(members(w, 0, 8), [2]);
    st.routeOf[0]!.set(8, 0);
    assert.equal(st.ledger.outstanding(8), 3);
    assert.deepEqual(members(w, 0, 8), [0]);
  });

  it("answers a refill it declines, or that nobody needs any more, with a miss and the hint", () => {
    const w = world("seed", 1);
    let out = w.feed({ type: "refill", cache: 1, file: 2 });
    assert.deepEqual(
      sentTo(out, "cache", 1),
      [{ type: "miss", file: 2, next: null }],
      "not its shard (and at 1 KiB no file is hinted)",
    );
    for (const client of [0, 1, 2]) w.feed({ type: "link-lost", client, cache: 0, generation: 0 });
    out = w.feed({ type: "refill", cache: 0, file: 2 });
    assert.deepEqual(transfers(out), []);
    assert.deepEqual(sentTo(out, "cache", 0), [{ type: "miss", file: 2, next: null }]);
  });
});

describe("files larger than a cache", () => {
  it("seed never warms nor hints one, and pushes the smaller files after it", () => {
    // 12 KiB caches, file 4 of 13 KiB: cache 0 warms 2 and 6 (not 2 alone, stopped at 4),
    // and hints 8 (not 4, which could never fit); cache 1 as usual.
    const size = (f: number) => (f === 4 ? 13 * 1024 : f * 1024);
    const w = empty("seed", 12, size);
    for (const k of [0, 1]) joinCache(w, k);
    for (const _ of [0, 1, 2]) w.feed({ type: "join", role: "client" });
    LISTS.forEach((files, client) => w.feed({ type: "list", client, files }));
    assert.deepEqual(transfers(w.log), [
      "cache 0: 2 ×3",
      "cache 0: 6 ×3",
      "cache 1: 3 ×2",
      "cache 1: 5 ×1",
    ]);
    const hints = w.log.flatMap((e) => (e.kind === "transfer" ? [[e.file, e.next]] : []));
    assert.deepEqual(hints, [[2, 8], [6, 8], [3, 7], [5, 7]]);
    // File 4 is still wanted by clients 0 and 1, yet the hint after 8 is 10.
    const out = w.feed({ type: "refill", cache: 0, file: 8, at: 1 });
    const pushed = out.flatMap((e) => (e.kind === "transfer" ? [[e.file, e.next]] : []));
    assert.deepEqual(pushed, [[8, 10]]);
    assert.equal(w.engine.st.ledger.outstanding(4), 2);
  });
});

describe("owedAt and redirects", () => {
  it("names the live cache whose push carried the client, while it can reach it", () => {
    const w = world("seed", 1);
    const { st } = w.engine;
    serveDirect(w, 2, 2);
    assert.deepEqual(push(w, 0, 2), [0, 1]);
    assert.deepEqual(push(w, 1, 5), [1]);
    assert.equal(owedAt(st, 0, 2), 0);
    assert.equal(owedAt(st, 1, 2), 0);
    assert.equal(owedAt(st, 1, 5), 1);
    assert.equal(owedAt(st, 2, 2), undefined, "the push did not carry client 2");
    assert.equal(owedAt(st, 0, 4), undefined, "file 4 was not pushed");
    w.feed({ type: "link-lost", client: 1, cache: 0, generation: 0 });
    assert.equal(owedAt(st, 1, 2), undefined, "client 1 cannot reach cache 0");
    assert.equal(owedAt(st, 0, 2), 0, "client 0 still can");
    assert.equal(owedAt(st, 1, 5), 1, "cache 1 is unaffected");
    w.feed({ type: "cache-lost", cache: 0, generation: 0, reason: "reset" });
    assert.equal(owedAt(st, 0, 2), undefined, "cache 0 is lost");
    joinCache(w, undefined, "198.51.100.7", 9000);
    assert.equal(owedAt(st, 0, 2), undefined, "its successor holds none of its files");
  });

  it("sends a direct request back to the cache that owes it, else serves it", () => {
    const w = world("seed", 1);
    assert.deepEqual(push(w, 0, 2), [0, 1, 2]);
    let out = w.feed({ type: "request", client: 0, file: 2, at: 3 });
    assert.deepEqual(out, [{
      kind: "send",
      to: { role: "client", index: 0 },
      message: { type: "miss", file: 2, next: null },
    }]);
    assert.equal(w.engine.summary.redirects, 1);
    w.feed({ type: "link-lost", client: 0, cache: 0, generation: 0 });
    out = w.feed({ type: "request", client: 0, file: 2, at: 4 });
    assert.deepEqual(out.filter((e) => e.kind === "transfer"), [{
      kind: "transfer",
      to: { role: "client", index: 0 },
      file: 2,
      size: 2048,
      count: 0,
      next: null,
      cause: 4,
    }]);
    assert.equal(w.engine.summary.redirects, 1);
    assert.equal(w.engine.summary.filesToClients, 1);
  });

  it("serves a direct request made before the push that carried it, and has the cache forgo it", () => {
    const w = world("seed", 1);
    const refill = w.feed({ type: "refill", cache: 0, file: 2, at: 10 });
    assert.deepEqual(transfers(refill), ["cache 0: 2 ×3"]);
    // Client 1 asked at 9, before the push was decided at 10: in the model it came first.
    const out = w.feed({ type: "request", client: 1, file: 2, at: 9 });
    assert.deepEqual(transfers(out), ["client 1: 2 ×0"]);
    assert.deepEqual(sentTo(out, "cache", 0), [{ type: "release", client: 1, files: [2] }]);
    assert.deepEqual(w.engine.st.caches[0]!.members.get(2), [0, 2]);
    assert.equal(owedAt(w.engine.st, 1, 2), undefined);
    assert.deepEqual(
      [w.engine.summary.servedBeforePush, w.engine.summary.redirects],
      [1, 0],
    );
    // Client 0 asked at 11, after the push: sent back to the cache.
    const later = w.feed({ type: "request", client: 0, file: 2, at: 11 });
    assert.deepEqual(sentTo(later, "client", 0), [{ type: "miss", file: 2, next: null }]);
    assert.equal(w.engine.summary.redirects, 1);
  });

  it("serves a file nobody listed anyway, and counts the race", () => {
    const w = world("seed", 1);
    const out = w.feed({ type: "request", client: 0, file: 14 });
    assert.deepEqual(transfers(out), ["client 0: 14 ×0"]);
    assert.equal(w.engine.summary.ownerRaces, 1);
    assert.equal(warnings(out).length, 1);
  });

  it("refuses a direct request before the start, changing nothing", () => {
    const w = empty();
    assert.throws(
      () => w.feed({ type: "request", client: 0, file: 2 }),
      (e) => isForesightError(e, "PROTOCOL") && /before the start/.test(e.message),
    );
  });
});

describe("register", () => {
  it("admits the first caches as generation 0, not rejoined, at their advertised address", () => {
    const w = empty();
    const out = joinCache(w, undefined, "192.0.2.11", 7001);
    assert.deepEqual(out[0], { kind: "admit", role: "cache", index: 0, generation: 0 });
    assert.deepEqual(sentTo(out, "cache", 0), [{
      type: "welcome",
      v: PROTOCOL_VERSION,
      index: 0,
      scenario: scenario("seed", 12),
    }]);
    assert.deepEqual(named(out, "register"), [{ event: "register", role: "cache", index: 0 }]);
    const slot = w.engine.st.caches[0]!;
    assert.equal(slot.generation, 0);
    assert.equal(slot.rejoined, false);
    assert.equal(slot.lost, false);
    assert.deepEqual([slot.host, slot.port], ["192.0.2.11", 7001]);
  });

  it("sends each client the cache list once, when both it and the last cache are in", () => {
    const w = empty();
    joinCache(w, 0);
    let out = w.feed({ type: "join", role: "client" });
    assert.deepEqual(sentTo(out, "client", 0).map((m) => m.type), ["welcome"]);
    out = joinCache(w, 1);
    const list = {
      type: "caches",
      caches: [
        { index: 0, host: "192.0.2.10", port: 7000, generation: 0 },
        { index: 1, host: "192.0.2.11", port: 7001, generation: 0 },
      ],
    };
    assert.deepEqual(sentTo(out, "client", 0), [list]);
    out = w.feed({ type: "join", role: "client" });
    assert.deepEqual(sentTo(out, "client", 1), [
      { type: "welcome", v: PROTOCOL_VERSION, index: 1, scenario: scenario("seed", 12) },
      list,
    ]);
    assert.deepEqual(sentTo(out, "client", 0), []);
  });

  it("gives a lost cache's place to a restarted cache: generation + 1, rejoined, fresh sets", () => {
    const w = world("seed", 1);
    const { st } = w.engine;
    assert.deepEqual(push(w, 1, 3), [0, 2]);
    w.feed({ type: "link-lost", client: 2, cache: 1, generation: 0 });
    const old = st.caches[1]!;
    w.feed({ type: "cache-lost", cache: 1, generation: 0, reason: "reset" });
    const out = joinCache(w, undefined, "198.51.100.7", 9001);
    assert.deepEqual(out[0], { kind: "admit", role: "cache", index: 1, generation: 1 });
    const slot = st.caches[1]!;
    assert.notEqual(slot, old);
    assert.equal(slot.generation, 1);
    assert.equal(slot.rejoined, true);
    assert.equal(slot.lost, false);
    assert.equal(slot.warm, false);
    assert.equal(slot.abandoned.size, 0);
    assert.equal(slot.members.size, 0);
    assert.notEqual(slot.abandoned, old.abandoned);
    assert.notEqual(slot.members, old.members);
    assert.deepEqual([slot.host, slot.port], ["198.51.100.7", 9001]);
    assert.equal(old.abandoned.size, 1, "the old slot is left as it was");
    // Again, naming the place and a host of its own.
    w.feed({ type: "cache-lost", cache: 1, generation: 1, reason: "reset" });
    assert.deepEqual(joinCache(w, 1, "cache1.example", 9002)[0], {
      kind: "admit",
      role: "cache",
      index: 1,
      generation: 2,
    });
    assert.equal(st.caches[1]!.generation, 2);
    assert.deepEqual([st.caches[1]!.host, st.caches[1]!.port], ["cache1.example", 9002]);
    assert.equal(w.engine.summary.rejoinedCaches, 2);
  });

  const refused = (what: RegExp) => (e: unknown) =>
    isForesightError(e, "PROTOCOL") && what.test(e.message);

  it("refuses a live place", () => {
    const w = world();
    assert.throws(() => joinCache(w, 0, "0.0.0.0", 9000), refused(/cache 0: already registered/));
    assert.throws(
      () => w.feed({ type: "join", role: "client", index: 2 }),
      refused(/client 2: already registered/),
    );
    assert.equal(w.engine.st.caches[0]!.port, 7000);
  });

  it("refuses when no place is free, and anyone once the run is over", () => {
    const w = world();
    assert.throws(() => joinCache(w), refused(/all 2 places are taken/));
    assert.throws(
      () => w.feed({ type: "join", role: "client" }),
      refused(/all 3 places are taken/),
    );
    assert.throws(() => joinCache(w, 5), refused(/all 2 places are taken/));
    w.feed({ type: "cache-lost", cache: 0, generation: 0, reason: "reset" });
    w.feed({ type: "fail", reason: "aborted" });
    assert.throws(() => joinCache(w), refused(/the run is over/));
    assert.equal(w.engine.st.caches[0]!.lost, true);
    assert.equal(w.engine.st.caches[0]!.generation, 0);
  });

  it("refuses a cache with no advertised address", () => {
    const w = empty();
    assert.throws(
      () => w.feed({ type: "join", role: "cache" }),
      refused(/no advertised address/),
    );
    assert.equal(w.engine.st.caches[0], undefined);
  });

  it("refuses a second list and a list longer than allowed", () => {
    const w = empty();
    w.feed({ type: "list", client: 0, files: [1] });
    assert.throws(
      () => w.feed({ type: "list", client: 0, files: [2] }),
      refused(/second list from client 0/),
    );
    assert.throws(
      () => w.feed({ type: "list", client: 1, files: [1, 2, 3, 4, 5, 6, 7, 8, 9] }),
      refused(/9 files, at most 8 allowed/),
    );
    assert.equal(w.engine.st.ledger.totals().added, 1);
  });
});
