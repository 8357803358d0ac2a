/**
 * Property test of the roles under random fault schedules spanning every
 * phase of a run: an origin, two caches and three clients in this process,
 * over real loopback sockets, and one or two roles "killed" (every socket of
 * theirs cut at once) at a moment the origin's own events name — a client's
 * list (registering), the warm-up, the start (running), a client's `done`
 * (stopping) — sometimes followed by a restarted cache taking the lost place.
 * The fault is injected inside the origin's event callback, so the origin is
 * exactly in that phase when it happens.
 *
 * Invariants after every schedule: the run ends; the origin ends ok and names
 * exactly the roles lost, each with the phase it was lost in; every surviving
 * client verified every file; no request is left owed in the ledger or in a
 * cache; no cache went over its capacity.
 *
 * @module
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { loadAdapter } from "../../../net/select.ts";
import type { Address, Conn, Listener, NetAdapter } from "../../../net/types.ts";
import { type OriginSummary, runOrigin } from "../../../live/origin.ts";
import { type CacheSummary, runCache } from "../../../live/cache.ts";
import { type ClientSummary, runClient } from "../../../live/client.ts";
import { CANONICAL, type PolicyName, type Scenario } from "../../../core/run/scenario.ts";
import { silentLogger } from "../../../core/run/log.ts";

const CLIENTS = 3;
/** Two caches, three clients, 12 of 80 files each, fast: a schedule's scenario but its seed and policy. */
const SMALL: Scenario = {
  ...CANONICAL,
  files: 80,
  caches: 2,
  clients: CLIENTS,
  requests: 12,
  capacityKiB: 400,
  scale: 500,
};

/** An adapter whose sockets can all be cut at once: a role killed, in-process. */
function killable(inner: NetAdapter): { adapter: NetAdapter; kill(): void } {
  const conns = new Set<Conn>();
  const listeners = new Set<Listener>();
  let dead = false;
  const killed = () => new Error("killed by the test");
  const keep = (c: Conn) => {
    if (dead) c.close(killed());
    else conns.add(c);
    return c;
  };
  return {
    adapter: {
      runtime: inner.runtime,
      connect: async (o) => keep(await inner.connect(o)),
      listen: async (address, onConnection) => {
        const l = await inner.listen(address, (c) => {
          if (dead) return c.close(killed());
          conns.add(c);
          onConnection(c);
        });
        listeners.add(l);
        return l;
      },
    },
    kill() {
      dead = true;
      for (const c of conns) c.close(killed());
      for (const l of listeners) void l.close();
    },
  };
}

/**
 * When a fault strikes: the origin's event that names the phase; `joined`, a
 * role just registered (a client before its list is in), is registering too.
 */
type When = "joined" | "registering" | "warming" | "running" | "stopping";
/** A role killed at `when`, and for a cache whether a new one then takes its place. */
interface Fault {
  role: "cache" | "client";
  index: number;
  when: When;
  restart: boolean;
}

const faultArb: fc.Arbitrary<Fault> = fc.oneof(
  fc.record({
    role: fc.constant<"cache">("cache"),
    index: fc.integer({ min: 0, max: 1 }),
    when: fc.constantFrom<When>("joined", "registering", "warming", "running", "stopping"),
    restart: fc.boolean(),
  }),
  fc.record({
    role: fc.constant<"client">("client"),
    // Not the last client: it is held back while the run registers.
    index: fc.integer({ min: 0, max: CLIENTS - 2 }),
    when: fc.constantFrom<When>("joined", "registering", "warming", "running", "stopping"),
    restart: fc.constant(false),
  }),
);

/** A policy, a scenario seed and the faults to inject. */
interface Schedule {
  policy: PolicyName;
  seed: number;
  faults: Fault[];
}

const scheduleArb: fc.Arbitrary<Schedule> = fc.record({
  policy: fc.constantFrom<PolicyName>("foresight", "seed", "lru"),
  seed: fc.integer({ min: 1, max: 1000 }),
  faults: fc.uniqueArray(faultArb, {
    minLength: 1,
    maxLength: 2,
    selector: (f) => `${f.role}${f.index}`,
  }),
});

/** A lost role the origin must name, with the phase it was lost in. */
interface Lost {
  role: string;
  index: number;
  phase: string;
}

/** The roles of one run, each on a killable adapter, and what the faults struck. */
class Roles {
  readonly #roles = new Map<string, ReturnType<typeof killable>>();
  readonly #struck = new Set<Fault>();
  /** Cache places to start a new cache in once the origin has lost the old one. */
  readonly pendingRestarts = new Set<number>();
  readonly expectLost: Lost[] = [];
  readonly killedNames = new Set<string>();

  constructor(readonly inner: NetAdapter) {}

  /** A new role's adapter, killable by its name. */
  adapter(name: string): NetAdapter {
    const r = killable(this.inner);
    this.#roles.set(name, r);
    return r.adapter;
  }

  /** Kills the role `f` names (once each; a cache: its latest run), noted in `phase`. */
  strike(f: Fault, phase: Exclude<When, "joined">): void {
    if (this.#struck.has(f)) return;
    this.#struck.add(f);
    const name = f.role === "cache"
      ? [...this.#roles.keys()].filter((n) => n.startsWith(`cache${f.index}:`)).at(-1)!
      : `client${f.index}`;
    if (this.killedNames.has(name)) return;
    this.killedNames.add(name);
    this.#roles.get(name)!.kill();
    // A loss after the stop is none; a client that said done is not lost.
    if (phase !== "stopping") this.expectLost.push({ role: f.role, index: f.index, phase });
    if (f.restart && f.role === "cache" && phase !== "stopping") this.pendingRestarts.add(f.index);
  }
}

/** What a run of a schedule ended with. */
interface Ended {
  s: Scenario;
  o: OriginSummary;
  clientSums: ClientSummary[];
  cacheSums: CacheSummary[];
  roles: Roles;
}

/** Runs the roles of a schedule, each fault injected in the origin's event of its phase. */
async function playSchedule(inner: NetAdapter, { policy, seed, faults }: Schedule): Promise<Ended> {
  const s: Scenario = { ...SMALL, seed, policy };
  const roles = new Roles(inner);
  const caches: Promise<CacheSummary>[] = [];
  const clients: (Promise<ClientSummary> | undefined)[] = [];
  let origin!: Address;
  let listening!: () => void;
  const ready = new Promise<void>((r) => (listening = r));
  let lists = 0;
  let lastStarted = false;

  const startCache = (k: number) =>
    caches.push(runCache({
      adapter: roles.adapter(`cache${k}:${caches.length}`),
      origin,
      listen: { host: "127.0.0.1", port: 0 },
      index: k,
      log: silentLogger,
    }));
  const startClient = (i: number) =>
    clients[i] = runClient({
      adapter: roles.adapter(`client${i}`),
      origin,
      index: i,
      log: silentLogger,
    });
  const startLast = () => {
    if (lastStarted) return;
    lastStarted = true;
    startClient(CLIENTS - 1);
  };
  const due = (when: When) => faults.filter((f) => f.when === when);
  const strikeAll = (when: Exclude<When, "joined">, pick = (_f: Fault) => true) => {
    for (const f of due(when)) if (pick(f)) roles.strike(f, when);
  };

  const originRun = runOrigin({
    scenario: s,
    adapter: roles.adapter("origin"),
    log: silentLogger,
    listen: { host: "127.0.0.1", port: 0 },
    onListening: (a) => {
      origin = a;
      listening();
    },
    onEvent: (e) => {
      if (e.event === "register") {
        for (const f of due("joined")) {
          if (f.role === e.role && f.index === e.index) roles.strike(f, "registering");
        }
      } else if (e.event === "list" && ++lists === CLIENTS - 1) {
        // Every list but the held-back client's is in: still registering.
        strikeAll("registering");
        if (due("registering").length === 0) startLast();
      } else if (e.event === "phase" && (e.phase === "warming" || e.phase === "running")) {
        strikeAll(e.phase);
      } else if (e.event === "done") {
        // The client that said done: it has every file and waits for the stop.
        strikeAll("stopping", (f) => f.role === "client" && f.index === e.client);
      } else if (e.event === "phase" && e.phase === "stopping") {
        strikeAll("stopping", (f) => f.role === "cache");
      } else if (e.event === "cache-lost" || e.event === "client-lost") {
        if (due("registering").length > 0 || due("joined").length > 0) startLast();
        const k = e.index as number;
        if (e.event === "cache-lost" && roles.pendingRestarts.delete(k)) startCache(k);
      }
    },
  });
  await ready;
  for (let k = 0; k < s.caches; k++) startCache(k);
  for (let i = 0; i < CLIENTS - 1; i++) startClient(i);

  const o = await originRun;
  const clientSums = await Promise.all(clients.map((c) => c!));
  const cacheSums = await Promise.all(caches);
  return { s, o, clientSums, cacheSums, roles };
}

/** What a schedule must leave behind (see the module doc). */
async function runSchedule(inner: NetAdapter, schedule: Schedule): Promise<void> {
  const { s, o, clientSums, cacheSums, roles } = await playSchedule(inner, schedule);
  const { faults, policy } = schedule;
  const { expectLost, killedNames } = roles;
  const story = JSON.stringify({ faults, o, expectLost });
  assert.equal(o.ok, true, story);
  const sortLost = (xs: readonly Lost[]) => xs.map((l) => `${l.role}${l.index}@${l.phase}`).sort();
  assert.deepEqual(sortLost(o.lost), sortLost(expectLost), story);
  for (const [i, c] of clientSums.entries()) {
    if (killedNames.has(`client${i}`)) continue;
    assert.equal(c.ok, true, `client ${i}: ${c.error}\n${story}`);
    assert.equal(c.verified, s.requests, story);
    assert.equal(c.corrupt, 0);
  }
  if (policy !== "lru") {
    // (A pull-through cache's hits never reach the origin's ledger.)
    assert.equal(o.ledger.outstanding, 0, story);
    assert.equal(o.ledger.added, o.ledger.direct + o.ledger.handed + o.ledger.cancelled, story);
  }
  for (const [n, c] of cacheSums.entries()) {
    assert.ok(c.peakBytes <= c.capacityBytes, `cache run ${n} over capacity\n${story}`);
    if (c.ok && policy !== "lru") assert.equal(c.heldAtStop, 0, `cache run ${n}\n${story}`);
  }
}

/** `p`, or a rejection once `ms` have passed: a schedule that never ends fails, named. */
function endsWithin(ms: number, p: Promise<void>): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the run did not end within ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

describe("roles under random fault schedules", () => {
  it("every schedule ends, loses nothing of the survivors and names each loss with its phase", {
    timeout: 180_000,
  }, async () => {
    const adapter = await loadAdapter();
    await fc.assert(
      fc.asyncProperty(
        scheduleArb,
        (schedule) => endsWithin(60_000, runSchedule(adapter, schedule)),
      ),
      { numRuns: 12, seed: 20261207, endOnFailure: true },
    );
  });
});
