/**
 * What the origin engine knows during a run, and the questions of who owes
 * what that its decisions ask: which clients a push carries (exactly those
 * that will ask that cache for the file), which cache owes a client a file.
 *
 * @module
 */

import { DemandLedger } from "../core/demand/demand_ledger.ts";
import { FileSet } from "../core/collections/file_set.ts";
import { ORIGIN_SOURCE, type OriginPolicy, type Source } from "../core/policies/policy.ts";
import { type Scenario, shardOf } from "../core/run/scenario.ts";
import type { LostRole, RunPhase } from "./origin_types.ts";

/** A cache place's occupant. */
export interface CacheSlot {
  /** Where clients reach it. */
  readonly host: string;
  readonly port: number;
  /** Echoed the start: its warm-up pushes all arrived. */
  warm: boolean;
  /** Gone: its files are served by the origin from then on. */
  lost: boolean;
  /** Took a lost cache's place: it starts empty, without a warm-up. */
  rejoined: boolean;
  /** How many caches held this place before (0: the first). */
  readonly generation: number;
  /** Clients that cannot reach this cache (they said `lost`): served by the origin. */
  readonly abandoned: Set<number>;
  /** Per file pushed here: the clients whose requests the push carried. */
  readonly members: Map<number, number[]>;
  /** Per file pushed here: when the push was decided (the model's time; warm-up: -Infinity). */
  readonly pushedAt: Map<number, number>;
}

/** The origin engine's state. */
export interface OriginState {
  readonly s: Scenario;
  readonly size: (file: number) => number;
  readonly ledger: DemandLedger;
  readonly caches: (CacheSlot | undefined)[];
  /** Registered clients. */
  readonly clients: boolean[];
  readonly lists: (readonly number[] | undefined)[];
  /** Clients that reported done. */
  readonly done: Set<number>;
  /** Clients gone (in any phase). */
  readonly lostClients: Set<number>;
  /** Per client: the files the origin served it directly. */
  readonly servedTo: FileSet[];
  /** Per client: the files whose request for it a push into a cache carried (once at most). */
  readonly carried: FileSet[];
  /** Per client: each carried file's push, as the cache place and the slot it went to. */
  readonly carriedAt: Map<number, readonly [number, CacheSlot]>[];
  /** Per file id, once the warm-up begins: the clients that listed it (ascending), if any. */
  listedBy: (number[] | undefined)[];
  /** Files whose demand a lost cache held: requests for them are served here. */
  readonly orphaned: Set<number>;
  /** Clients that were sent the cache list. */
  readonly toldCaches: Set<number>;
  /**
   * Per client, once the warm-up begins: the sources the policy routes its
   * files to (a listed file not in it goes to its shard: see {@link routeOf}).
   */
  routeOf: Map<number, Source>[];
  policy: OriginPolicy | undefined;
  started: boolean;
  finished: boolean;
  readonly lost: LostRole[];
}

/** A fresh state for `s`. */
export function originState(s: Scenario, size: (file: number) => number): OriginState {
  return {
    s,
    size,
    ledger: new DemandLedger(s.files),
    caches: new Array(s.caches).fill(undefined),
    clients: new Array(s.clients).fill(false),
    lists: new Array(s.clients).fill(undefined),
    done: new Set(),
    lostClients: new Set(),
    servedTo: Array.from({ length: s.clients }, () => new FileSet(s.files)),
    carried: Array.from({ length: s.clients }, () => new FileSet(s.files)),
    carriedAt: Array.from({ length: s.clients }, () => new Map()),
    listedBy: [],
    orphaned: new Set(),
    toldCaches: new Set(),
    routeOf: [],
    policy: undefined,
    started: false,
    finished: false,
    lost: [],
  };
}

/**
 * Where the run is: `registering` until every list is in, `warming` while the
 * caches are filled, `running` once the clients were started, `stopping` once
 * the origin said stop.
 */
export function runPhase(st: OriginState): RunPhase {
  return st.finished ? "stopping" : st.started ? "running" : st.policy ? "warming" : "registering";
}

/** Whether every cache place is taken (a lost one counts: the run goes on without it). */
export function allCaches(st: OriginState): boolean {
  return st.caches.every((c) => c !== undefined);
}

/**
 * Whether `client` still wants `file` from `cache`: its route, not served by
 * the origin, not carried by an earlier push (served there, or forgone), not
 * gone, and it can reach that cache.
 */
export function owes(st: OriginState, client: number, cache: number, file: number): boolean {
  return st.listedBy[file]?.includes(client) === true && owesListed(st, client, cache, file);
}

/** {@link owes} for a client known to have listed `file` (one of `st.listedBy[file]`). */
function owesListed(st: OriginState, client: number, cache: number, file: number): boolean {
  if (
    st.servedTo[client]!.has(file) || st.carried[client]!.has(file) ||
    st.lostClients.has(client) || st.done.has(client)
  ) return false;
  const routes = st.routeOf[client];
  if (routes === undefined) return false;
  const caches = st.s.caches;
  const route = routes.get(file) ?? (caches > 0 ? shardOf(file, caches) : ORIGIN_SOURCE);
  return route === cache && !st.caches[cache]!.abandoned.has(client);
}

/**
 * Where `client` fetches `file` from: the policy's route, else the file's
 * shard (the origin when there are no caches); undefined for a file it did
 * not list.
 */
export function routeOf(st: OriginState, client: number, file: number): Source | undefined {
  const routes = st.routeOf[client];
  // A file this client did not list has no route (a restarted cache's
  // upcoming files are every client's).
  if (routes === undefined || !st.listedBy[file]?.includes(client)) return undefined;
  const caches = st.s.caches;
  return routes.get(file) ?? (caches > 0 ? shardOf(file, caches) : ORIGIN_SOURCE);
}

/**
 * The clients whose requests a push of `file` into `cache` carries: exactly
 * those that will ask that cache for it, at most as many as the policy says
 * and the origin still owns (pull-through caches own no demand: none). Also
 * says whether more clients were routed there than requests are owed.
 */
export function pushMembers(
  st: OriginState,
  cache: number,
  file: number,
): { members: number[]; routed: number } {
  const most = Math.min(
    st.policy!.pushCount?.(cache, file) ?? Infinity,
    st.ledger.outstanding(file),
  );
  if (most === 0) return { members: [], routed: 0 };
  const members: number[] = [];
  const listed = st.listedBy[file];
  if (listed !== undefined) {
    for (let i = 0; i < listed.length; i++) {
      const c = listed[i]!;
      if (owesListed(st, c, cache, file)) members.push(c);
    }
  }
  const routed = members.length;
  if (members.length > most) members.length = most;
  return { members, routed };
}

/**
 * Whether a push of `file` into `cache` would carry some client's request
 * (`pushMembers(st, cache, file).members.length > 0`, without making the list).
 */
export function carriesSome(st: OriginState, cache: number, file: number): boolean {
  const most = Math.min(
    st.policy!.pushCount?.(cache, file) ?? Infinity,
    st.ledger.outstanding(file),
  );
  if (most === 0) return false;
  const listed = st.listedBy[file];
  if (listed === undefined) return false;
  for (let i = 0; i < listed.length; i++) {
    if (owesListed(st, listed[i]!, cache, file)) return true;
  }
  return false;
}

/**
 * The cache that owes `client` a request for `file` (a push there carried it,
 * the cache lives, the client can reach it), if any: the client is sent there.
 */
export function owedAt(st: OriginState, client: number, file: number): number | undefined {
  const at = st.carriedAt[client]!.get(file);
  if (!at) return undefined;
  const [k, slot] = at;
  // The push went to this very slot (not one a restarted cache took since).
  return st.caches[k] === slot && !slot.lost && !slot.abandoned.has(client) ? k : undefined;
}
