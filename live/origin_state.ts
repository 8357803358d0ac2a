/**
 * What the origin knows during a run: the registered caches and clients,
 * their lists, the demand ledger, who was served what, and the summary it
 * reports. Shared by the origin's flow (origin.ts) and its fault handling
 * (origin_faults.ts); its read-only view feeds the admin API.
 *
 * @module
 */

import type { Address } from "../net/types.ts";
import type { Logger } from "../core/log.ts";
import { DemandLedger } from "../core/demand_ledger.ts";
import { FileSource } from "../core/virtual_files.ts";
import type { Scenario } from "../core/scenario.ts";
import type { OriginPolicy, Source } from "../core/policy.ts";
import type { Phase, RoleView } from "../core/role_view.ts";
import type { Peer } from "./peer.ts";
import { fileRange } from "./file_parts.ts";
import type { Hello } from "./handshake.ts";
import { ForesightError } from "../errors.ts";
import type { EngineEvent } from "../protocol/role_event.ts";

/** What the origin reports when it ends. */
export interface OriginSummary {
  ok: boolean;
  error?: string;
  bytesToCaches: number;
  bytesToClients: number;
  filesToCaches: number;
  filesToClients: number;
  /** Direct requests for files nobody listed (served anyway). */
  ownerRaces: number;
  /** Direct requests sent back to the cache that had just taken the file's demand. */
  redirects: number;
  /** Caches lost, in any phase (their files then came from the origin). */
  lostCaches: number;
  /** Files served directly whose demand a lost cache had held. */
  servedForLostCaches: number;
  /** Clients lost, in any phase (their demand was released). */
  lostClients: number;
  /** Caches that came back mid-run (a lost place taken again). */
  rejoinedCaches: number;
  /** Client–cache connections lost while the cache lived on (that client's demand there was released). */
  cutLinks: number;
  /** Every cache and client lost, in order: which, in what phase of the run, and why. */
  lost: LostRole[];
  ledger: ReturnType<DemandLedger["totals"]>;
}

/** The phases of a run in which a role can be lost (see {@link runPhase}). */
export type RunPhase = "registering" | "warming" | "running" | "stopping";

/** A cache or client the origin lost: which, in what phase of the run, and why. */
export interface LostRole {
  role: "cache" | "client";
  index: number;
  phase: RunPhase;
  reason: string;
}

/** A registered cache. */
export interface CacheSlot {
  peer: Peer;
  address: Address;
  warm: boolean;
  /** Gone mid-run: its files are served by the origin from then on. */
  lost: boolean;
  /** Took a lost cache's place mid-run: it started empty, without a warm-up. */
  rejoined: boolean;
  /** How many caches held this place before (0: the first). */
  generation: number;
  /** Clients that cannot reach this cache (they said `lost`): served by the origin. */
  abandoned: Set<number>;
  /** Per file pushed here: the clients whose requests the push carried. */
  members: Map<number, number[]>;
}

/** The origin's run state (see the module doc). */
export interface OriginState {
  readonly s: Scenario;
  readonly log: Logger;
  readonly files: FileSource;
  readonly ledger: DemandLedger;
  readonly caches: (CacheSlot | undefined)[];
  readonly clients: (Peer | undefined)[];
  readonly lists: (number[] | undefined)[];
  /** Clients that reported done. */
  readonly done: Set<number>;
  /** Clients gone (in any phase). */
  readonly lostClients: Set<number>;
  /** Per client: the files the origin served it directly. */
  readonly servedTo: Set<number>[];
  /** Per client: the files whose request for it a push into a cache carried (once at most). */
  readonly carried: Set<number>[];
  /** Files pushed into a cache so far. */
  readonly pushed: Set<number>;
  /** Files whose demand a lost cache held: requests for them are served here. */
  readonly orphaned: Set<number>;
  /** Per client, once the run begins: each listed file's source. */
  routeOf: Map<number, Source>[];
  policy: OriginPolicy | undefined;
  started: boolean;
  finished: boolean;
  readonly summary: OriginSummary;
  /** Reports a lifecycle event. */
  emit(event: EngineEvent): void;
  /** Ends the run: every peer is told to stop. */
  stopAll(reason: string): void;
  /**
   * Moves the run on if it can now: begins the warm-up once every client's
   * list is in (or the client is lost), starts the clients once every cache is
   * warm (or lost). Called after anything that may unblock either.
   */
  advance(): void;
}

/**
 * A fresh state for `s`; `emit`, `stopAll` and `advance` are the origin's.
 *
 * @example
 * ```ts
 * const st = originState(scenario, log, { emit: console.log, stopAll: () => {}, advance: () => {} });
 * st.ledger.add([1, 2]);
 * ```
 */
export function originState(
  s: Scenario,
  log: Logger,
  hooks: Pick<OriginState, "emit" | "stopAll" | "advance">,
): OriginState {
  const ledger = new DemandLedger(s.files);
  return {
    s,
    log,
    files: new FileSource({ seed: s.seed }),
    ledger,
    caches: new Array(s.caches).fill(undefined),
    clients: new Array(s.clients).fill(undefined),
    lists: new Array(s.clients).fill(undefined),
    done: new Set(),
    lostClients: new Set(),
    servedTo: Array.from({ length: s.clients }, () => new Set<number>()),
    carried: Array.from({ length: s.clients }, () => new Set<number>()),
    pushed: new Set(),
    orphaned: new Set(),
    routeOf: [],
    policy: undefined,
    started: false,
    finished: false,
    summary: {
      ok: false,
      bytesToCaches: 0,
      bytesToClients: 0,
      filesToCaches: 0,
      filesToClients: 0,
      ownerRaces: 0,
      redirects: 0,
      lostCaches: 0,
      servedForLostCaches: 0,
      lostClients: 0,
      rejoinedCaches: 0,
      cutLinks: 0,
      lost: [],
      ledger: ledger.totals(),
    },
    ...hooks,
  };
}

/**
 * The cache that owes `client` a request for `file` (a push there carried it,
 * the cache lives, the client can reach it), if any: the client is sent there.
 *
 * @example
 * ```ts
 * const k = owedAt(st, 2, 42); // cache 0: send client 2 back there for file 42
 * ```
 */
export function owedAt(st: OriginState, client: number, file: number): number | undefined {
  for (let k = 0; k < st.caches.length; k++) {
    const slot = st.caches[k];
    if (!slot || slot.lost || slot.abandoned.has(client)) continue;
    if (slot.members.get(file)?.includes(client)) return k;
  }
  return undefined;
}

/**
 * Where the run is: `registering` until every list is in, `warming` while the
 * caches are filled, `running` once the clients were started, `stopping` once
 * the origin said stop.
 *
 * @example
 * ```ts
 * if (runPhase(st) === "warming") log.log("info", "a loss during the warm-up");
 * ```
 */
export function runPhase(st: OriginState): RunPhase {
  return st.finished ? "stopping" : st.started ? "running" : st.policy ? "warming" : "registering";
}

/** Whether every cache place is taken (a place whose cache was lost counts: the run goes on without it). */
export function allCaches(st: OriginState): boolean {
  return st.caches.every((c) => c !== undefined);
}

/**
 * The origin's read-only view (admin API, metrics): phase, counters, files.
 *
 * @example
 * ```ts
 * options.onView?.(originView(st));
 * ```
 */
export function originView(st: OriginState): RoleView {
  const { s, summary, files } = st;
  const phase = (): Phase => {
    const p = runPhase(st);
    return p === "registering" && allCaches(st) && st.clients.every((c) => c) ? "waiting" : p;
  };
  return {
    role: "data",
    phase,
    stats: () => ({
      phase: phase(),
      bytesToCaches: summary.bytesToCaches,
      bytesToClients: summary.bytesToClients,
      filesToCaches: summary.filesToCaches,
      filesToClients: summary.filesToClients,
      redirects: summary.redirects,
      demand: st.ledger.totals(),
      cachesRegistered: st.caches.filter((c) => c && !c.lost).length,
      clientsRegistered: st.clients.filter((c) => c).length,
      listsIn: st.lists.filter((l) => l).length,
      clientsDone: [...st.done].sort((a, b) => a - b),
      lost: summary.lost,
    }),
    file: (id) =>
      Number.isInteger(id) && id >= 1 && id <= s.files
        ? { size: files.size(id), read: (offset, length) => fileRange(files, id, offset, length) }
        : undefined,
  };
}

/**
 * Gives a joining cache or client its place: the one it asks for, else the
 * first free one (a cache may take the place of one lost mid-run).
 *
 * @throws {ForesightError} PROTOCOL when no place is free, the one asked for is taken, or a cache advertises no address
 * @example
 * ```ts
 * const { index } = register(st, peer, { v: 1, role: "client" });
 * ```
 */
export function register(
  st: OriginState,
  peer: Peer,
  hello: Hello & { role: "cache" | "client" },
): { role: "cache" | "client"; index: number } {
  const { caches, clients } = st;
  const table: unknown[] = hello.role === "cache" ? caches : clients;
  const free = (x: unknown) =>
    x === undefined || (hello.role === "cache" && (x as CacheSlot).lost && !st.finished);
  const empty = table.findIndex((x) => x === undefined);
  const index = hello.index ?? (empty >= 0 ? empty : table.findIndex(free));
  if (index < 0 || index >= table.length) {
    throw new ForesightError(
      "PROTOCOL",
      `Cannot register ${hello.role}: all ${table.length} places are taken`,
    );
  }
  if (!free(table[index])) {
    throw new ForesightError(
      "PROTOCOL",
      `Cannot register ${hello.role} ${index}: already registered`,
    );
  }
  if (hello.role === "cache") {
    const adv = hello.advertise;
    if (!adv) throw new ForesightError("PROTOCOL", "Cannot register cache: no advertised address");
    const host = adv.host === "0.0.0.0" || adv.host === "::" ? peer.conn.remote.host : adv.host;
    const before = caches[index];
    caches[index] = {
      peer,
      address: { host, port: adv.port },
      warm: false,
      lost: false,
      rejoined: before !== undefined,
      generation: before === undefined ? 0 : before.generation + 1,
      abandoned: new Set(),
      members: new Map(),
    };
  } else {
    clients[index] = peer;
  }
  return { role: hello.role, index };
}
