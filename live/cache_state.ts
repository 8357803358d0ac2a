/**
 * What the live cache holds beside its engine (engine/cache.ts, which makes
 * every decision): the client connections, the bytes of every file held or
 * arriving, and the summary it reports. Shared by the cache's link to the
 * origin (cache_upstream.ts), its client service (cache_clients.ts) and the effects they
 * carry out (cache_effects.ts); its read-only view feeds the admin API.
 *
 * @module
 */

import type { EngineEvent } from "../protocol/role_event.ts";
import type { Clock } from "../core/run/clock.ts";
import type { Shaping } from "../core/links/pacer.ts";
import type { Logger } from "../core/run/log.ts";
import type { FileBuffer } from "../core/cache/file_buffer.ts";
import { PagePool } from "../core/cache/page_pool.ts";
import { LinkMeter, type LinkShaping } from "../core/links/link_meter.ts";
import type { Phase, RoleView } from "../core/run/role_view.ts";
import { CacheEngine } from "../engine/cache.ts";
import type { Peer } from "./peer.ts";
import { RequestGate } from "./request_gate.ts";
import { SEND_DEFAULTS, type SendTuning } from "./send_tuning.ts";

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
  /** Achieved against shaped on the links to the clients (core/links/link_meter.ts). */
  shapingToClients: LinkShaping;
  /** Files still held at the stop, with requests owed. */
  heldAtStop: number;
}

/** The live cache's run state (see the module doc). */
export interface CacheState {
  readonly log: Logger;
  readonly clock: Clock;
  /** Every decision: what requests get, refills, releases, evictions. */
  readonly engine: CacheEngine;
  /** Client connections being served. */
  readonly peers: Set<Peer>;
  /** Client connections by the id the engine knows them by. */
  readonly conns: Map<number, Peer>;
  /** The bytes of every file held or arriving. */
  readonly buffers: Map<number, FileBuffer>;
  /** When each push ends on the origin's link (clock time, its header's `due`): a hit forwarded meanwhile cannot end sooner. */
  readonly pushEnds: Map<number, number>;
  /** Each held file's SHA-256 as the origin's header said it (real stores), passed on in `hit`. */
  readonly digests: Map<number, string>;
  readonly pages: PagePool;
  /** Counts what the links to the clients carried against their shaped rate. */
  readonly meter: LinkMeter;
  /** Client requests held until the cache has seen what comes before them in the model. */
  readonly gate: RequestGate;
  readonly summary: CacheSummary;
  /** Receives what the engine reports. */
  readonly onEvent: ((event: EngineEvent) => void) | undefined;
  /** The connection to the origin, once open. */
  origin: Peer | undefined;
  /** The id of the next client connection. */
  nextConn: number;
  /** `"none"`: links to clients are not paced (shaped outside); `"pacer"`: paced at their rate. */
  readonly shaping: Shaping;
  /** Chunk size (the pages' size too) and pacer slot of what it sends to clients. */
  readonly tuning: SendTuning;
}

/**
 * A fresh state.
 *
 * @example
 * ```ts
 * const st = cacheState(log, realClock);
 * ```
 */
export function cacheState(
  log: Logger,
  clock: Clock,
  onEvent?: (event: EngineEvent) => void,
  shaping: Shaping = "pacer",
  tuning: SendTuning = SEND_DEFAULTS,
): CacheState {
  const meter = new LinkMeter();
  return {
    shaping,
    tuning,
    log,
    clock,
    engine: new CacheEngine(),
    peers: new Set(),
    conns: new Map(),
    buffers: new Map(),
    pushEnds: new Map(),
    digests: new Map(),
    pages: new PagePool(tuning.chunkBytes),
    meter,
    gate: new RequestGate(),
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
      shapingToClients: meter.snapshot(),
      heldAtStop: 0,
    },
    onEvent,
    origin: undefined,
    nextConn: 1,
  };
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
  const { summary, engine } = st;
  const phase = (): Phase =>
    engine.stopped
      ? "stopping"
      : engine.warm
      ? "running"
      : engine.registered
      ? "warming"
      : "registering";
  return {
    role: "cache",
    phase,
    stats: () => ({
      phase: phase(),
      index: summary.index,
      files: engine.scenario?.files ?? 0,
      // Files held whole (at most 1000 listed), for operators and HTTP clients.
      held: [...st.buffers].filter(([, b]) => b.complete).slice(0, 1000).map(([f]) => f),
      capacityBytes: summary.capacityBytes,
      usedBytes: engine.store?.used ?? 0,
      peakBytes: engine.store?.peak ?? 0,
      filesHeld: engine.store?.size ?? 0,
      hits: engine.hits,
      misses: engine.misses,
      pushedFiles: summary.pushedFiles,
      pushedBytes: summary.pushedBytes,
      evicted: summary.evicted,
      bytesToClients: summary.bytesToClients,
      shapingToClients: st.meter.snapshot(),
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
