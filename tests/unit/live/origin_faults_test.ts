/**
 * The origin's fault handling (live/origin_faults.ts, and owedAt/register of
 * live/origin_state.ts) on a real state and a real policy, with fake peers
 * that record what they are sent.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ORIGIN } from "../../../core/demand_ledger.ts";
import { makeOriginPolicy } from "../../../core/policies.ts";
import { ORIGIN_SOURCE, type OriginPolicy } from "../../../core/policy.ts";
import {
  CANONICAL,
  checkScenario,
  type PolicyName,
  type Scenario,
  shardOf,
} from "../../../core/scenario.ts";
import type { LogFields, Logger, LogLevel } from "../../../core/log.ts";
import { isForesightError } from "../../../errors.ts";
import type { EngineEvent } from "../../../protocol/role_event.ts";
import { type Message, PROTOCOL_VERSION } from "../../../protocol/mod.ts";
import type { Hello } from "../../../live/handshake.ts";
import type { Peer } from "../../../live/peer.ts";
import { type OriginState, originState, owedAt, register } from "../../../live/origin_state.ts";
import {
  cutLink,
  loseCache,
  loseClient,
  pushMembers,
  rejoin,
} from "../../../live/origin_faults.ts";

/** A peer that records every message sent to it (and, in order, into a shared journal). */
type Fake = Peer & { readonly sent: Message[] };

function fakePeer(name: string, journal: string[], host = "192.0.2.1"): Fake {
  const sent: Message[] = [];
  const fake = {
    sent,
    conn: { remote: { host, port: 50_000 } },
    send(msg: Message): Promise<void> {
      sent.push(msg);
      journal.push(`${name} ${msg.type}`);
      return Promise.resolve();
    },
  };
  return fake as unknown as Fake;
}

/**
 * Three clients over files 1..20 (file n is n KiB); with 2 caches, even files
 * are cache 0's shard, odd ones cache 1's.
 */
const LISTS: number[][] = [
  [2, 3, 4, 6, 8, 9, 10, 12],
  [2, 4, 5, 6, 8, 10, 11, 12],
  [2, 3, 6, 7, 8, 10, 12, 13],
];

interface World {
  st: OriginState;
  policy: OriginPolicy;
  caches: Fake[];
  clients: Fake[];
  events: EngineEvent[];
  stops: string[];
  journal: string[];
  /** Every record logged at warn or above. */
  warnings: { msg: string; fields?: LogFields }[];
}

const cacheHello = (
  port: number,
  host = "0.0.0.0",
  index?: number,
): Hello & { role: "cache" } => ({
  type: "hello",
  v: PROTOCOL_VERSION,
  role: "cache",
  advertise: { host, port },
  ...(index === undefined ? {} : { index }),
});

const clientHello: Hello & { role: "client" } = {
  type: "hello",
  v: PROTOCOL_VERSION,
  role: "client",
};

/** What origin.ts's `begin` does before the warm-up: the policy, then every client's routes. */
function begin(st: OriginState): OriginPolicy {
  const { s, ledger, files, lists } = st;
  const p = makeOriginPolicy(s, {
    ledger,
    caches: s.caches,
    capacity: s.capacityKiB * 1024,
    lists: lists as number[][],
    size: (f) => files.size(f),
    wanted: (cache, f) => pushMembers(st, cache, f).length > 0,
  });
  st.policy = p;
  st.routeOf = lists.map((list, c) => {
    const routes = new Map(p.routes(c) ?? []);
    const fallback = (f: number) => s.caches > 0 ? shardOf(f, s.caches) : ORIGIN_SOURCE;
    return new Map(list!.map((f) => [f, routes.get(f) ?? fallback(f)]));
  });
  return p;
}

/** Every cache and client registered, every list in, the run begun (nothing pushed yet). */
function world(policy: PolicyName = "seed", capacityKiB = 12): World {
  const s: Scenario = checkScenario({
    ...CANONICAL,
    files: 20,
    caches: 2,
    clients: LISTS.length,
    requests: 8,
    capacityKiB,
    policy,
  });
  const events: EngineEvent[] = [];
  const stops: string[] = [];
  const journal: string[] = [];
  const warnings: World["warnings"] = [];
  const log: Logger = {
    log(level: LogLevel, msg: string, fields?: LogFields) {
      if (level === "warn" || level === "error") warnings.push({ msg, fields });
    },
    child: () => log,
  };
  const st = originState(s, log, {
    emit: (e) => events.push(e),
    stopAll: (reason) => stops.push(reason),
    advance: () => {},
  });
  const caches = [0, 1].map((k) => fakePeer(`cache${k}`, journal, `192.0.2.${10 + k}`));
  caches.forEach((p, k) =>
    assert.deepEqual(register(st, p, cacheHello(7000 + k)), { role: "cache", index: k })
  );
  const clients = LISTS.map((_, c) => fakePeer(`client${c}`, journal, `192.0.2.${20 + c}`));
  clients.forEach((p, c) =>
    assert.deepEqual(register(st, p, clientHello), { role: "client", index: c })
  );
  LISTS.forEach((list, c) => {
    st.ledger.add(list);
    st.lists[c] = list;
  });
  const p = begin(st);
  st.started = true;
  return { st, policy: p, caches, clients, events, stops, journal, warnings };
}

/** What origin.ts's `push` records (the file itself is not sent): returns the members. */
function push(st: OriginState, cache: number, file: number): number[] {
  const members = pushMembers(st, cache, file);
  if (members.length === 0 && st.policy!.pushCount?.(cache, file) !== 0) return members;
  st.ledger.handOff(file, cache, members.length);
  st.caches[cache]!.members.set(file, members);
  for (const c of members) st.carried[c]!.add(file);
  st.pushed.add(file);
  return members;
}

/** The origin serves `client` `file` itself (as serveClient records it). */
function serveDirect(st: OriginState, client: number, file: number): void {
  st.ledger.serveDirect(file);
  st.servedTo[client]!.add(file);
}

const named = (events: EngineEvent[], name: EngineEvent["event"]) =>
  events.filter((e) => e.event === name);

const releases = (peer: Fake) => peer.sent.filter((m) => m.type === "release");

describe("pushMembers", () => {
  it("carries exactly the clients routed to that cache that will still ask it", () => {
    const { st } = world();
    assert.deepEqual(pushMembers(st, 0, 2), [0, 1, 2]);
    assert.deepEqual(pushMembers(st, 0, 4), [0, 1]);
    assert.deepEqual(pushMembers(st, 1, 3), [0, 2]);
    assert.deepEqual(pushMembers(st, 1, 11), [1]);
    assert.deepEqual(pushMembers(st, 1, 2), [], "file 2 is routed to cache 0 by everyone");
    assert.deepEqual(pushMembers(st, 0, 14), [], "nobody asked for file 14");
    // The route, not the shard, decides.
    st.routeOf[1]!.set(2, ORIGIN_SOURCE);
    assert.deepEqual(pushMembers(st, 0, 2), [0, 2]);
    st.routeOf[2]!.set(2, 1);
    assert.deepEqual(pushMembers(st, 0, 2), [0]);
    assert.deepEqual(pushMembers(st, 1, 2), [2]);
  });

  const exclusions: [string, (st: OriginState) => void][] = [
    ["served directly", (st) => serveDirect(st, 1, 2)],
    ["carried by an earlier push", (st) => st.carried[1]!.add(2)],
    ["lost", (st) => st.lostClients.add(1)],
    ["done", (st) => st.done.add(1)],
    ["cut off from the cache (abandoned)", (st) => st.caches[0]!.abandoned.add(1)],
    ["routed to the origin", (st) => st.routeOf[1]!.set(2, ORIGIN_SOURCE)],
  ];
  for (const [what, apply] of exclusions) {
    it(`leaves out a client ${what}`, () => {
      const { st } = world();
      assert.deepEqual(pushMembers(st, 0, 2), [0, 1, 2]);
      apply(st);
      assert.deepEqual(pushMembers(st, 0, 2), [0, 2]);
    });
  }

  for (const policy of ["lru", "belady"] as const) {
    it(`carries nobody under the pull-through policy ${policy} (pushCount 0)`, () => {
      const { st, policy: p, warnings } = world(policy);
      assert.equal(p.pushCount?.(0, 2), 0);
      assert.equal(st.ledger.outstanding(2), 3);
      assert.equal(st.routeOf[0]!.get(2), 0);
      assert.deepEqual(pushMembers(st, 0, 2), []);
      assert.deepEqual(pushMembers(st, 1, 3), []);
      assert.deepEqual(warnings, [], "owning no demand is no anomaly");
    });
  }

  it("carries at most as many clients as the origin still owns requests", () => {
    const { st, warnings } = world();
    assert.equal(st.ledger.cancel(2), true);
    assert.equal(st.ledger.outstanding(2), 2);
    assert.deepEqual(pushMembers(st, 0, 2), [0, 1]);
    assert.deepEqual(warnings.map((w) => w.fields), [{ cache: 0, file: 2, routed: 3, owed: 2 }]);
    st.ledger.handOff(2, 1);
    assert.deepEqual(pushMembers(st, 0, 2), [], "the origin owns none");
  });

  it("carries at most as many clients as the policy's pushCount", () => {
    const { st, policy } = world("foresight");
    assert.equal(
      policy.pushCount?.(0, 8),
      1,
      "the plan this test assumes: one request via cache 0",
    );
    assert.deepEqual(pushMembers(st, 0, 8), [2]);
    st.routeOf[0]!.set(8, 0);
    assert.equal(st.ledger.outstanding(8), 3);
    assert.deepEqual(pushMembers(st, 0, 8), [0]);
  });
});

describe("cutLink", () => {
  /** Seed run with files 2, 4, 6 pushed into cache 0 and 3, 5 into cache 1. */
  const pushed = () => {
    const w = world();
    assert.deepEqual(push(w.st, 0, 2), [0, 1, 2]);
    assert.deepEqual(push(w.st, 0, 4), [0, 1]);
    assert.deepEqual(push(w.st, 0, 6), [0, 1, 2]);
    assert.deepEqual(push(w.st, 1, 3), [0, 2]);
    assert.deepEqual(push(w.st, 1, 5), [1]);
    return w;
  };

  it("has the cache forgo exactly the files whose pushes carried the client, and leaves it out later", () => {
    const { st, caches, events } = pushed();
    cutLink(st, 1, 0, 0);
    assert.deepEqual([...st.caches[0]!.abandoned], [1]);
    assert.equal(st.summary.cutLinks, 1);
    assert.equal(caches[0]!.sent.length, 1);
    const msg = caches[0]!.sent[0]!;
    assert.ok(msg.type === "release");
    assert.equal(msg.client, 1);
    assert.deepEqual([...msg.files].sort((a, b) => a - b), [2, 4, 6]);
    assert.deepEqual(caches[1]!.sent, [], "the other cache is not told");
    assert.equal(st.caches[1]!.abandoned.size, 0);
    assert.deepEqual(named(events, "link-cut"), [{ event: "link-cut", client: 1, cache: 0 }]);
    assert.deepEqual(pushMembers(st, 0, 8), [0, 2], "later pushes leave the client out");
    assert.deepEqual(pushMembers(st, 1, 11), [1], "its other cache still carries it");
  });

  it("lists only that client's files at that cache, none when no push carried it", () => {
    const { st, caches } = pushed();
    cutLink(st, 2, 1, 0);
    assert.deepEqual(caches[1]!.sent, [{ type: "release", client: 2, files: [3] }]);
    cutLink(st, 1, 1, 0);
    assert.deepEqual(caches[1]!.sent[1], { type: "release", client: 1, files: [5] });
    const w = world();
    cutLink(w.st, 0, 0, 0);
    assert.deepEqual(w.caches[0]!.sent, [{ type: "release", client: 0, files: [] }]);
  });

  it("ignores a repeat", () => {
    const { st, caches, events } = pushed();
    cutLink(st, 1, 0, 0);
    cutLink(st, 1, 0, 0);
    assert.equal(st.summary.cutLinks, 1);
    assert.equal(caches[0]!.sent.length, 1);
    assert.equal(named(events, "link-cut").length, 1);
  });

  it("ignores a lost cache", () => {
    const { st, caches, events } = pushed();
    loseCache(st, 0, caches[0]!, "reset");
    cutLink(st, 1, 0, 0);
    assert.equal(st.summary.cutLinks, 0);
    assert.equal(st.caches[0]!.abandoned.size, 0);
    assert.deepEqual(caches[0]!.sent, []);
    assert.deepEqual(named(events, "link-cut"), []);
  });

  it("ignores a `lost` about an earlier cache in that place (stale generation)", () => {
    const { st, caches, journal } = pushed();
    loseCache(st, 0, caches[0]!, "reset");
    const fresh = fakePeer("cache0'", journal);
    register(st, fresh, cacheHello(9000));
    assert.equal(st.caches[0]!.generation, 1);
    assert.deepEqual(push(st, 0, 8), [0, 1, 2]);
    cutLink(st, 1, 0, 0);
    assert.equal(st.summary.cutLinks, 0);
    assert.equal(st.caches[0]!.abandoned.size, 0);
    assert.deepEqual(fresh.sent, []);
    assert.deepEqual(caches[0]!.sent, []);
    cutLink(st, 1, 0, 2);
    assert.equal(st.summary.cutLinks, 0, "nor one about a later generation");
    cutLink(st, 1, 0, 1);
    assert.equal(st.summary.cutLinks, 1);
    assert.deepEqual(fresh.sent, [{ type: "release", client: 1, files: [8] }]);
  });

  it("ignores a cache place that does not exist", () => {
    const { st, caches } = pushed();
    cutLink(st, 1, 7, 0);
    assert.equal(st.summary.cutLinks, 0);
    assert.deepEqual([...caches[0]!.sent, ...caches[1]!.sent], []);
  });
});

describe("loseClient", () => {
  /** Seed run: 2 pushed into cache 0 (all three), 5 into cache 1 (client 1), 6 served to client 1 directly. */
  const started = () => {
    const w = world();
    assert.deepEqual(push(w.st, 0, 2), [0, 1, 2]);
    assert.deepEqual(push(w.st, 1, 5), [1]);
    serveDirect(w.st, 1, 6);
    return w;
  };
  const counts = (st: OriginState, files: number[]) => files.map((f) => st.ledger.outstanding(f));

  it("withdraws the requests still at the origin, not those served or handed to a cache", () => {
    const { st } = started();
    const list = LISTS[1]!; // [2, 4, 5, 6, 8, 10, 11, 12]
    assert.deepEqual(counts(st, list), [0, 2, 0, 2, 3, 3, 1, 3]);
    loseClient(st, 1, "connection reset");
    assert.deepEqual(counts(st, list), [0, 1, 0, 2, 2, 2, 0, 2]);
    assert.equal(st.ledger.totals().cancelled, 5);
    assert.equal(st.ledger.owner(2), 0);
    assert.equal(st.ledger.owner(5), 1);
    assert.ok(st.lostClients.has(1));
    assert.equal(st.summary.lostClients, 1);
  });

  it("has every live cache forgo what its pushes carried for the client", () => {
    const { st, caches, events } = started();
    loseClient(st, 1, "connection reset");
    assert.deepEqual(caches[0]!.sent, [{ type: "release", client: 1, files: [2] }]);
    assert.deepEqual(caches[1]!.sent, [{ type: "release", client: 1, files: [5] }]);
    assert.deepEqual(named(events, "client-lost"), [{
      event: "client-lost",
      index: 1,
      phase: "running",
      reason: "connection reset",
    }]);
    assert.deepEqual(st.summary.lost, [{
      role: "client",
      index: 1,
      phase: "running",
      reason: "connection reset",
    }]);
    loseClient(st, 2, "gone");
    assert.deepEqual(caches[0]!.sent[1], { type: "release", client: 2, files: [2] });
    assert.deepEqual(caches[1]!.sent[1], { type: "release", client: 2, files: [] });
  });

  it("tells a lost cache nothing", () => {
    const { st, caches } = started();
    loseCache(st, 1, caches[1]!, "reset");
    loseClient(st, 1, "connection reset");
    assert.deepEqual(caches[1]!.sent, []);
    assert.deepEqual(caches[0]!.sent, [{ type: "release", client: 1, files: [2] }]);
  });

  it("ends the run once every client is done or gone, not before", () => {
    const { st, stops } = started();
    st.done.add(0);
    loseClient(st, 1, "reset");
    assert.deepEqual(stops, []);
    loseClient(st, 2, "reset");
    assert.deepEqual(stops, ["every client is done or gone"]);
  });

  it("ignores a repeat and a client that is done", () => {
    const { st, caches, stops } = started();
    loseClient(st, 1, "reset");
    const cancelled = st.ledger.totals().cancelled;
    loseClient(st, 1, "reset again");
    assert.equal(st.summary.lostClients, 1);
    assert.equal(st.ledger.totals().cancelled, cancelled);
    assert.equal(releases(caches[0]!).length, 1);
    st.done.add(0);
    loseClient(st, 0, "after done");
    assert.ok(!st.lostClients.has(0));
    assert.equal(st.summary.lostClients, 1);
    assert.equal(st.ledger.totals().cancelled, cancelled);
    assert.equal(releases(caches[0]!).length, 1);
    assert.deepEqual(stops, []);
  });

  it(
    "leaves at the origin the requests of others when the client's own went with a partial push",
    () => {
      // Foresight plan: file 8 goes to cache 0 for client 2 only; clients 0 and 1 fetch it directly.
      const { st, policy } = world("foresight");
      assert.equal(policy.pushCount?.(0, 8), 1);
      assert.deepEqual(push(st, 0, 8), [2]);
      assert.equal(st.ledger.outstanding(8), 2, "the two direct requests stay at the origin");
      loseClient(st, 2, "reset");
      assert.equal(st.ledger.outstanding(8), 2, "client 2's request went with the push");
      assert.equal(st.ledger.serveDirect(8), true, "client 0 is served");
      assert.equal(st.ledger.serveDirect(8), true, "client 1 is served");
    },
  );

  it(
    "does not release again at a cache the client already cut (the cache forgoes per release)",
    () => {
      const { st, caches } = started();
      cutLink(st, 1, 0, 0);
      assert.deepEqual(releases(caches[0]!), [{ type: "release", client: 1, files: [2] }]);
      loseClient(st, 1, "reset");
      assert.equal(releases(caches[0]!).length, 1);
      assert.deepEqual(caches[1]!.sent, [{ type: "release", client: 1, files: [5] }]);
    },
  );
});

describe("owedAt", () => {
  it("names the live cache whose push carried the client, while it can reach it", () => {
    const { st, caches } = world();
    st.routeOf[2]!.set(2, ORIGIN_SOURCE);
    assert.deepEqual(push(st, 0, 2), [0, 1]);
    assert.deepEqual(push(st, 1, 5), [1]);
    assert.equal(owedAt(st, 0, 2), 0);
    assert.equal(owedAt(st, 1, 2), 0);
    assert.equal(owedAt(st, 1, 5), 1);
    assert.equal(owedAt(st, 2, 2), undefined, "the push did not carry client 2");
    assert.equal(owedAt(st, 0, 4), undefined, "file 4 was not pushed");
    cutLink(st, 1, 0, 0);
    assert.equal(owedAt(st, 1, 2), undefined, "client 1 cannot reach cache 0");
    assert.equal(owedAt(st, 0, 2), 0, "client 0 still can");
    assert.equal(owedAt(st, 1, 5), 1, "cache 1 is unaffected");
    loseCache(st, 0, caches[0]!, "reset");
    assert.equal(owedAt(st, 0, 2), undefined, "cache 0 is lost");
    register(st, fakePeer("cache0'", []), cacheHello(9000));
    assert.equal(owedAt(st, 0, 2), undefined, "its successor holds none of its files");
  });
});

describe("loseCache", () => {
  it("marks only the cache on that peer lost and takes its files back, once", () => {
    const { st, caches, events } = world();
    assert.deepEqual(push(st, 0, 2), [0, 1, 2]);
    assert.deepEqual(push(st, 0, 4), [0, 1]);
    assert.deepEqual(push(st, 1, 5), [1]);
    loseCache(st, 0, caches[1]!, "someone else's connection");
    assert.equal(st.caches[0]!.lost, false);
    assert.equal(st.summary.lostCaches, 0);
    assert.equal(st.ledger.owner(2), 0);
    assert.equal(st.orphaned.size, 0);
    assert.deepEqual(named(events, "cache-lost"), []);

    loseCache(st, 0, caches[0]!, "connection reset");
    assert.equal(st.caches[0]!.lost, true);
    assert.equal(st.caches[1]!.lost, false);
    assert.equal(st.summary.lostCaches, 1);
    assert.deepEqual([...st.orphaned].sort((a, b) => a - b), [2, 4]);
    assert.equal(st.ledger.owner(2), ORIGIN);
    assert.equal(st.ledger.owner(4), ORIGIN);
    assert.equal(st.ledger.owner(5), 1, "cache 1 keeps its files");
    assert.deepEqual(named(events, "cache-lost"), [{
      event: "cache-lost",
      index: 0,
      phase: "running",
      reason: "connection reset",
    }]);

    loseCache(st, 0, caches[0]!, "noticed again");
    assert.equal(st.summary.lostCaches, 1);
    assert.equal(named(events, "cache-lost").length, 1);
    assert.deepEqual([...st.orphaned].sort((a, b) => a - b), [2, 4]);
  });

  it("changes nothing when the failure is noticed after another cache took the place", () => {
    const { st, caches } = world();
    loseCache(st, 0, caches[0]!, "reset");
    const fresh = fakePeer("cache0'", []);
    register(st, fresh, cacheHello(9000));
    assert.deepEqual(push(st, 0, 2), [0, 1, 2]);
    loseCache(st, 0, caches[0]!, "late notice on the old connection");
    assert.equal(st.caches[0]!.peer, fresh);
    assert.equal(st.caches[0]!.lost, false);
    assert.equal(st.summary.lostCaches, 1);
    assert.equal(st.ledger.owner(2), 0);
    assert.ok(!st.orphaned.has(2));
  });
});

describe("register", () => {
  it("gives the first caches generation 0, not rejoined, with their advertised address", () => {
    const { st, caches } = world();
    const slot = st.caches[1]!;
    assert.equal(slot.peer, caches[1]);
    assert.equal(slot.generation, 0);
    assert.equal(slot.rejoined, false);
    assert.equal(slot.lost, false);
    assert.deepEqual(slot.address, { host: "192.0.2.11", port: 7001 }, "0.0.0.0: the peer's host");
  });

  it("gives a lost cache's place to a restarted cache: generation + 1, rejoined, fresh sets", () => {
    const { st, caches } = world();
    assert.deepEqual(push(st, 1, 3), [0, 2]);
    cutLink(st, 2, 1, 0);
    const old = st.caches[1]!;
    loseCache(st, 1, caches[1]!, "reset");
    const fresh = fakePeer("cache1'", [], "198.51.100.7");
    assert.deepEqual(register(st, fresh, cacheHello(9001)), { role: "cache", index: 1 });
    const slot = st.caches[1]!;
    assert.notEqual(slot, old);
    assert.equal(slot.peer, fresh);
    assert.equal(slot.generation, 1);
    assert.equal(slot.rejoined, true);
    assert.equal(slot.lost, false);
    assert.equal(slot.warm, false);
    assert.equal(slot.abandoned.size, 0);
    assert.equal(slot.members.size, 0);
    assert.notEqual(slot.abandoned, old.abandoned);
    assert.notEqual(slot.members, old.members);
    assert.deepEqual(slot.address, { host: "198.51.100.7", port: 9001 });
    assert.equal(old.abandoned.size, 1, "the old slot is left as it was");
    // Again, naming the place and a host of its own.
    loseCache(st, 1, fresh, "reset");
    const third = fakePeer("cache1''", [], "198.51.100.8");
    assert.deepEqual(register(st, third, cacheHello(9002, "cache1.example", 1)), {
      role: "cache",
      index: 1,
    });
    assert.equal(st.caches[1]!.generation, 2);
    assert.deepEqual(st.caches[1]!.address, { host: "cache1.example", port: 9002 });
  });

  it("refuses a live place", () => {
    const { st } = world();
    assert.throws(
      () => register(st, fakePeer("x", []), cacheHello(9000, "0.0.0.0", 0)),
      (e) => isForesightError(e, "PROTOCOL") && /cache 0: already registered/.test(e.message),
    );
    assert.throws(
      () => register(st, fakePeer("y", []), { ...clientHello, index: 2 }),
      (e) => isForesightError(e, "PROTOCOL") && /client 2: already registered/.test(e.message),
    );
  });

  it("refuses when no place is free (a lost one is not, once the run is over)", () => {
    const { st, caches } = world();
    const full = (e: unknown) =>
      isForesightError(e, "PROTOCOL") && /all 2 places are taken/.test(e.message);
    assert.throws(() => register(st, fakePeer("x", []), cacheHello(9000)), full);
    assert.throws(
      () => register(st, fakePeer("y", []), clientHello),
      (e) => isForesightError(e, "PROTOCOL") && /all 3 places are taken/.test(e.message),
    );
    loseCache(st, 0, caches[0]!, "reset");
    st.finished = true;
    assert.throws(() => register(st, fakePeer("z", []), cacheHello(9000)), full);
    assert.equal(st.caches[0]!.peer, caches[0]);
  });
});

describe("rejoin", () => {
  /**
   * Foresight plan (capacity 12 KiB): cache 0 warmed with 12, then pushes 2,
   * 6, 8, 10; clients 0 and 1 take 2, 6, 10, 12 there, client 2 also 8. Here
   * 2 is pushed, client 1 is served 6 directly, client 2 is lost, and cache 0
   * dies and restarts.
   */
  const restarted = () => {
    const w = world("foresight");
    const { st, policy } = w;
    assert.deepEqual(policy.upcoming?.(0), [2, 6, 8, 10], "the plan this test assumes");
    assert.deepEqual(
      [0, 1, 2].map((c) =>
        [...st.routeOf[c]!].filter(([, k]) => k === 0).map(([f]) => f).sort((a, b) => a - b)
      ),
      [[2, 6, 10, 12], [2, 6, 10, 12], [2, 6, 8, 10, 12]],
      "the routes this test assumes",
    );
    for (const p of policy.warmup()) push(st, p.cache, p.file);
    assert.equal(policy.grant(0, 2), true);
    assert.deepEqual(push(st, 0, 2), [0, 1, 2]);
    serveDirect(st, 1, 6);
    loseClient(st, 2, "reset");
    loseCache(st, 0, w.caches[0]!, "reset");
    const fresh = fakePeer("cache0'", w.journal, "198.51.100.7");
    register(st, fresh, cacheHello(9000));
    assert.equal(st.caches[0]!.generation, 1);
    w.journal.length = 0;
    for (const c of [...w.caches, ...w.clients]) c.sent.length = 0;
    return { ...w, fresh };
  };

  it("tells each present client what to fetch there again, then starts the cache with its hint", async () => {
    const { st, policy, clients, caches, fresh, journal, events } = restarted();
    assert.deepEqual(policy.upcoming?.(0), [6, 8, 10]);
    assert.equal(policy.hint(0), 6);
    await rejoin(st, 0);
    const told = (files: number[]) => ({
      type: "rejoin",
      cache: 0,
      generation: 1,
      host: "198.51.100.7",
      port: 9000,
      files,
    });
    assert.deepEqual(clients[0]!.sent, [told([6, 10])]);
    assert.deepEqual(clients[1]!.sent, [told([10])], "6 was served directly");
    assert.deepEqual(clients[2]!.sent, [], "client 2 is gone");
    assert.deepEqual(fresh.sent, [{ type: "start", next: 6 }]);
    assert.deepEqual(journal, ["client0 rejoin", "client1 rejoin", "cache0' start"]);
    assert.deepEqual([...caches[0]!.sent, ...caches[1]!.sent], []);
    assert.equal(st.summary.rejoinedCaches, 1);
    assert.deepEqual(named(events, "cache-rejoined"), [{ event: "cache-rejoined", index: 0 }]);
  });

  it("lists the files in the policy's upcoming order, not by id", async () => {
    const { st, policy, clients } = restarted();
    const real = policy;
    st.policy = {
      warmup: () => real.warmup(),
      hint: (k) => real.hint(k),
      grant: (k, f) => real.grant(k, f),
      routes: (c) => real.routes(c),
      pushCount: (k, f) => real.pushCount!(k, f),
      upcoming: (k) => real.upcoming!(k).reverse(),
    };
    await rejoin(st, 0);
    assert.deepEqual(clients[0]!.sent.map((m) => m.type === "rejoin" && m.files), [[10, 6]]);
  });

  it("without an upcoming order, sends each client its files routed there, ascending", async () => {
    const { st, policy, clients, caches, journal } = world();
    assert.equal(policy.upcoming, undefined);
    assert.deepEqual(push(st, 0, 2), [0, 1, 2]);
    serveDirect(st, 0, 4);
    st.done.add(2);
    loseCache(st, 0, caches[0]!, "reset");
    const fresh = fakePeer("cache0'", journal, "198.51.100.9");
    register(st, fresh, cacheHello(9100));
    journal.length = 0;
    await rejoin(st, 0);
    const told = (files: number[]) => ({
      type: "rejoin",
      cache: 0,
      generation: 1,
      host: "198.51.100.9",
      port: 9100,
      files,
    });
    assert.deepEqual(clients[0]!.sent, [told([6, 8, 10, 12])]);
    assert.deepEqual(clients[1]!.sent, [told([4, 6, 8, 10, 12])]);
    assert.deepEqual(clients[2]!.sent, [], "client 2 is done");
    assert.deepEqual(fresh.sent, [{ type: "start", next: 4 }]);
    assert.deepEqual(journal, ["client0 rejoin", "client1 rejoin", "cache0' start"]);
  });
});
