/**
 * What a cache knows during a run: its policy and the files it holds, the
 * requests parked until a push begins, who was served what, and the summary
 * it reports. Shared by the cache's origin loop (cache.ts) and its client
 * service (cache_clients.ts); its read-only view feeds the admin API.
 *
 * @module
 */

import type { Clock } from "../core/clock.ts";
import type { Logger } from "../core/log.ts";
import type { CachePolicy } from "../core/policy.ts";
import type { FileBuffer } from "../core/file_buffer.ts";
import { PagePool } from "../core/page_pool.ts";
import type { Phase, RoleView } from "../core/role_view.ts";
import type { Scenario } from "../core/scenario.ts";
import type { Peer } from "./peer.ts";

/** What a cache reports when it ends. */
export interface CacheSummary {
  ok: boolean;
  error?: string;
  index: number;
  capacityBytes: number;
  peakBytes: number;
  hits: number;
  misses: number;
  pushedFiles: number;
  pushedBytes: number;
  evicted: number;
  bytesToClients: number;
  /** Files still held at the stop, with requests owed. */
  heldAtStop: number;
}

/** The cache's run state (see the module doc). */
export interface CacheState {
  readonly log: Logger;
  readonly clock: Clock;
  /** Client connections being served. */
  readonly peers: Set<Peer>;
  /** The bytes of every file held or arriving. */
  readonly buffers: Map<number, FileBuffer>;
  readonly pages: PagePool;
  /** When each push began on the origin's link (clock time), from its `due`. */
  readonly pushStarts: Map<number, number>;
  /** Per client index: the files served to it (a released client's other requests are forgone). */
  readonly servedTo: Map<number, Set<number>>;
  /** Per file: the parked requests to wake when its push begins or is declined. */
  readonly waiting: Map<number, (() => void)[]>;
  readonly summary: CacheSummary;
  /** Known once registered with the origin. */
  brain: CachePolicy | undefined;
  scenario: Scenario | undefined;
  /** The origin's `start` arrived: refills may be asked for. */
  warm: boolean;
  stopped: boolean;
  /** Asks the origin for the file the policy wants next, if any. */
  refill(): void;
}

/**
 * A fresh state; `refill` is the cache's.
 *
 * @example
 * ```ts
 * const st = cacheState(log, realClock, () => {});
 * ```
 */
export function cacheState(log: Logger, clock: Clock, refill: () => void): CacheState {
  return {
    log,
    clock,
    peers: new Set(),
    buffers: new Map(),
    pages: new PagePool(),
    pushStarts: new Map(),
    servedTo: new Map(),
    waiting: new Map(),
    summary: {
      ok: false,
      index: -1,
      capacityBytes: 0,
      peakBytes: 0,
      hits: 0,
      misses: 0,
      pushedFiles: 0,
      pushedBytes: 0,
      evicted: 0,
      bytesToClients: 0,
      heldAtStop: 0,
    },
    brain: undefined,
    scenario: undefined,
    warm: false,
    stopped: false,
    refill,
  };
}

/**
 * Wakes the requests parked on `file` (its push began, or was declined).
 *
 * @example
 * ```ts
 * wake(st, 42);
 * ```
 */
export function wake(st: CacheState, file: number): void {
  const list = st.waiting.get(file);
  st.waiting.delete(file);
  for (const w of list ?? []) w();
}

/**
 * The cache's read-only view (admin API, metrics): phase, counters, files held whole.
 *
 * @example
 * ```ts
 * options.onView?.(cacheView(st));
 * ```
 */
export function cacheView(st: CacheState): RoleView {
  const { summary } = st;
  const phase = (): Phase =>
    st.stopped ? "stopping" : st.warm ? "running" : st.brain ? "warming" : "registering";
  return {
    role: "cache",
    phase,
    stats: () => ({
      phase: phase(),
      index: summary.index,
      files: st.scenario?.files ?? 0,
      // Files held whole (at most 1000 listed), for operators and HTTP clients.
      held: [...st.buffers].filter(([, b]) => b.complete).slice(0, 1000).map(([f]) => f),
      capacityBytes: summary.capacityBytes,
      usedBytes: st.brain?.store.used ?? 0,
      peakBytes: st.brain?.store.peak ?? 0,
      filesHeld: st.brain?.store.size ?? 0,
      hits: st.brain?.hits ?? 0,
      misses: st.brain?.misses ?? 0,
      pushedFiles: summary.pushedFiles,
      pushedBytes: summary.pushedBytes,
      evicted: summary.evicted,
      bytesToClients: summary.bytesToClients,
      clientsConnected: st.peers.size,
      pagesAllocated: st.pages.allocated,
    }),
    file: (id) => {
      const b = st.buffers.get(id);
      return b?.complete
        ? { size: b.size, read: (offset, length) => b.copy(offset, length) }
        : undefined;
    },
  };
}
