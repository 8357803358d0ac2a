/**
 * The cache server, runtime-agnostic: registers with the origin, takes its
 * pushes within capacity, serves clients (cut-through while a file still
 * arrives), evicts at a zero count and asks for refills as space frees. A
 * thin driver: its engine (engine/cache.ts) decides, this moves the bytes —
 * the origin's side in cache_upstream.ts, the clients' in cache_clients.ts,
 * the effects in cache_effects.ts.
 *
 * @module
 */

import type { Address, Listener, NetAdapter } from "../net/types.ts";
import type { Logger } from "../core/run/log.ts";
import { type Clock, realClock } from "../core/run/clock.ts";
import type { RoleView } from "../core/run/role_view.ts";
import { Peer } from "./peer.ts";
import { gate } from "./connection_gate.ts";
import { CONNECT_DEADLINE_MS, DEFAULT_MAX_CONNECTIONS } from "./limits.ts";
import { connectWithRetry } from "./connect.ts";
import { type CacheState, cacheState, type CacheSummary, cacheView } from "./cache_state.ts";
import { serveClient } from "./cache_clients.ts";
import { type SendTuning, sendTuning } from "./send_tuning.ts";
import { drive } from "./cache_effects.ts";
import { CacheUpstream } from "./cache_upstream.ts";
import type { Shaping } from "../core/links/pacer.ts";
import type { EngineEvent } from "../protocol/role_event.ts";
import { type InputRecord, recordInputs } from "../engine/input_trace.ts";

/** Options of {@link runCache}. */
export interface CacheOptions {
  readonly adapter: NetAdapter;
  readonly origin: Address;
  readonly listen: Address;
  /** Address clients should use; defaults to the bound listen address. */
  readonly advertise?: Address;
  /** Ask for this cache index (default: the origin picks). */
  readonly index?: number;
  readonly log: Logger;
  readonly clock?: Clock;
  readonly onEvent?: (event: EngineEvent) => void;
  /** Receives the role's read-only view once it exists (admin API, metrics). */
  readonly onView?: (view: RoleView) => void;
  /** Shared secret: proven to the origin, and required of clients. */
  readonly secret?: string;
  /** Most client connections open at once (default {@link DEFAULT_MAX_CONNECTIONS}). */
  readonly maxConnections?: number;
  /** Give up reaching the origin after this many ms (default 30 000). */
  readonly connectDeadlineMs?: number;
  /**
   * How long a connection, past its handshake, may bring nothing (not even a
   * keepalive `ping`) before it is closed (default `IDLE_MS`, 30 s).
   */
  readonly idleMs?: number;
  /**
   * The run's demand file's text (see `parseDemand`), when the clients bring
   * their own lists: policies that read the future (Belady) plan with them.
   * Default: the lists the seed draws, as clients draw them.
   */
  readonly demand?: { readonly text: string; readonly source: string };
  /** `"none"`: links to clients are not paced here (shaped outside, e.g. by the kernel); default `"pacer"`. */
  /** Chunk size (and page size) and pacer slot of what it sends (for bench/tuning.ts; default: the measured ones). */
  readonly tuning?: Partial<SendTuning>;
  readonly shaping?: Shaping;
  /**
   * Receives every input the engine handles, with its time and effects
   * (engine/input_trace.ts; `--trace-inputs`): for comparing a run with its
   * simulation. None (the default) costs nothing.
   */
  readonly traceInputs?: (record: InputRecord) => void;
}

export type { CacheSummary } from "./cache_state.ts";

/**
 * Runs a cache until the origin says stop: listens for clients, registers
 * with the origin, follows it (live/cache_upstream.ts), then closes every
 * connection.
 *
 * @param options the adapter, the origin's address, the address to listen on, the log, and the optional hooks
 * @returns the summary (`ok` when the origin said stop; else `error` says why)
 * @throws {ForesightError} when it cannot listen (CONFIG) or reach the origin
 *   within the deadline (TIMEOUT); the run's own failures are reported in the summary
 * @example
 * ```ts
 * const summary = await runCache({ adapter, origin, listen: { host: "127.0.0.1", port: 0 }, log });
 * ```
 */
export async function runCache(options: CacheOptions): Promise<CacheSummary> {
  const { adapter, log } = options;
  const clock = options.clock ?? realClock;
  const st = cacheState(log, clock, options.onEvent, options.shaping, sendTuning(options.tuning));
  if (options.traceInputs) recordInputs(st.engine, options.traceInputs);
  // Clients may connect as soon as we listen; they wait for the welcome until we know the scenario.
  let ready!: () => void;
  const isReady = new Promise<void>((r) => (ready = r));
  options.onView?.(cacheView(st));
  const listener = await adapter.listen(
    options.listen,
    gate(
      options.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
      log,
      (c) => void serveClient(st, c, options.secret, isReady, options.idleMs),
    ),
  );
  const advertise = options.advertise ?? listener.address;
  log.log("info", "cache listening", { host: listener.address.host, port: listener.address.port });

  const conn = await connectWithRetry(adapter, options.origin, {
    log,
    clock,
    deadlineMs: options.connectDeadlineMs ?? CONNECT_DEADLINE_MS,
  });
  const origin = st.origin = new Peer(conn, { log, idleMs: options.idleMs });
  const upstream = new CacheUpstream(st, origin);
  try {
    await upstream.register({
      advertise,
      index: options.index,
      runtime: adapter.runtime,
      secret: options.secret,
      demand: options.demand,
    }, ready);
    await upstream.follow();
    st.summary.ok = true;
  } catch (e) {
    st.summary.error = (e as Error).message;
    log.log("error", "cache failed", { reason: st.summary.error });
    upstream.fail(e as Error);
  } finally {
    await closeAll(st, listener, origin);
  }
  return finalSummary(st);
}

/** The end, however it came: parked requests are dropped (what is still owed is logged), every connection closed. */
async function closeAll(st: CacheState, listener: Listener, origin: Peer): Promise<void> {
  st.gate.open();
  void drive(st, { type: "stopped" });
  await listener.close();
  origin.close();
  for (const p of st.peers) p.close();
  await Promise.race([
    Promise.all([origin.conn.closed, ...[...st.peers].map((p) => p.conn.closed)]),
    st.clock.sleep(5000),
  ]);
}

/** The summary with the store's figures at the end. */
function finalSummary(st: CacheState): CacheSummary {
  const { summary, engine } = st;
  summary.shapingToClients = st.meter.snapshot();
  const store = engine.store;
  if (store) {
    summary.peakBytes = store.peak;
    summary.hits = engine.hits;
    summary.misses = engine.misses;
    summary.heldAtStop = store.size;
  }
  return summary;
}
