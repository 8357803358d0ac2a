/**
 * The live origin (data server), runtime-agnostic: listens, and hands every
 * connection to its driver (live/origin_driver.ts), a thin layer over the
 * origin engine (engine/origin.ts), which decides everything. This file
 * holds the options, the run from listening to the summary, and the
 * origin's read-only view.
 *
 * @module
 */

import type { Address, NetAdapter } from "../net/types.ts";
import type { Logger } from "../core/run/log.ts";
import { type Clock, realClock } from "../core/run/clock.ts";
import type { Scenario } from "../core/run/scenario.ts";
import type { Phase, RoleView } from "../core/run/role_view.ts";
import type { FileStore } from "../core/files/file_store.ts";
import { SyntheticStore } from "../core/files/synthetic_store.ts";
import { FileSource } from "../core/files/virtual_files.ts";
import { ForesightError } from "../errors.ts";
import type { InputRecord } from "../engine/input_trace.ts";
import type { EngineEvent } from "../protocol/role_event.ts";
import type { OriginSummary } from "../engine/origin.ts";
import type { LinkShaping } from "../core/links/link_meter.ts";
import { gate } from "./connection_gate.ts";
import { DEFAULT_MAX_CONNECTIONS } from "./limits.ts";
import { OriginDriver } from "./origin_driver.ts";
import { OriginFiles } from "./origin_files.ts";
import type { Shaping } from "../core/links/pacer.ts";
import type { SendTuning } from "./send_tuning.ts";

/** Options of {@link runOrigin}. */
export interface OriginOptions {
  readonly scenario: Scenario;
  readonly adapter: NetAdapter;
  readonly listen: Address;
  readonly log: Logger;
  readonly clock?: Clock;
  /**
   * What to serve (default: the scenario's synthetic files). Its file count
   * must be the scenario's `files`; any store but the scenario's own synthetic
   * files (a {@link SyntheticStore} of its seed) is hashed whole before the
   * origin listens, and clients get its catalogue and check its digests.
   */
  readonly store?: FileStore;
  /** Called once listening, with the bound address. */
  readonly onListening?: (address: Address) => void;
  /** Called with progress and lifecycle events. */
  readonly onEvent?: (event: EngineEvent) => void;
  /** Aborts the run. */
  readonly signal?: AbortSignal;
  /** Receives the role's read-only view once it exists (admin API, metrics). */
  readonly onView?: (view: RoleView) => void;
  /** Shared secret every cache and client must prove it holds; none = anyone may join. */
  readonly secret?: string;
  /** Most connections open at once (default {@link DEFAULT_MAX_CONNECTIONS}). */
  readonly maxConnections?: number;
  /**
   * How long a connection, past its handshake, may bring nothing (not even a
   * keepalive `ping`) before it is closed (default `IDLE_MS`, 30 s).
   */
  readonly idleMs?: number;
  /** `"none"`: links are not paced here (shaped outside, e.g. by the kernel); default `"pacer"`. */
  /** Chunk size and pacer slot of what it sends (for bench/tuning.ts; default: the measured ones). */
  readonly tuning?: Partial<SendTuning>;
  readonly shaping?: Shaping;
  /**
   * Receives every input the engine handles, with its time and effects
   * (engine/input_trace.ts; `--trace-inputs`): for comparing a run with its
   * simulation. None (the default) costs nothing.
   */
  readonly traceInputs?: (record: InputRecord) => void;
}

export type { OriginSummary } from "../engine/origin.ts";

/** What the live origin reports when it ends: its engine's summary and its links' shaping. */
export interface LiveOriginSummary extends OriginSummary {
  /** Achieved against shaped on the links to the caches (core/links/link_meter.ts). */
  shapingToCaches: LinkShaping;
  /** Achieved against shaped on the links to the clients. */
  shapingToClients: LinkShaping;
}

/**
 * Runs the origin until every client is done (or the run fails): listens,
 * serves every connection through an {@link OriginDriver}, and once the
 * engine says stop closes the listener and the connections.
 *
 * @param options the scenario, the adapter and address to listen on, the log, and the optional hooks
 * @returns the engine's summary and the links' shaping (`ok` when the run ended without a failure)
 * @throws {ForesightError} when it cannot listen (CONFIG, e.g. the address is in use); the
 *   run's own failures are reported in the summary
 * @example
 * ```ts
 * const summary = await runOrigin({ scenario, adapter, listen: { host: "127.0.0.1", port: 7000 }, log });
 * ```
 */
export async function runOrigin(options: OriginOptions): Promise<LiveOriginSummary> {
  const { adapter, log } = options;
  const clock = options.clock ?? realClock;
  const s = options.scenario;
  const store = options.store ??
    new SyntheticStore({ source: new FileSource({ seed: s.seed }), files: s.files });
  if (store.list().length !== s.files) {
    throw new ForesightError(
      "CONFIG",
      `Cannot serve ${store.list().length} files: the scenario says ${s.files}`,
    );
  }
  const files = await OriginFiles.open(store, log, s.seed);
  const driver = new OriginDriver({ ...options, clock, files });
  options.onView?.(originView(driver));
  const listener = await adapter.listen(
    options.listen,
    gate(
      options.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
      log,
      (conn) => void driver.serveConnection(conn),
    ),
  );
  options.onListening?.(listener.address);
  log.log("info", "origin listening", { host: listener.address.host, port: listener.address.port });
  options.signal?.addEventListener(
    "abort",
    () => driver.dispatch({ type: "fail", reason: "aborted" }),
  );
  await driver.ended;
  await listener.close();
  await driver.closeAll();
  return { ...driver.engine.end(), ...shaping(driver) };
}

/** Achieved against shaped on the origin's links (see core/links/link_meter.ts). */
function shaping(
  driver: OriginDriver,
): Pick<LiveOriginSummary, "shapingToCaches" | "shapingToClients"> {
  return {
    shapingToCaches: driver.meters.toCaches.snapshot(),
    shapingToClients: driver.meters.toClients.snapshot(),
  };
}

/** The origin's read-only view (admin API, metrics): phase, counters, files. */
function originView(driver: OriginDriver): RoleView {
  const { engine, files } = driver;
  const { st, summary } = engine;
  const phase = (): Phase => engine.phase;
  return {
    role: "origin",
    phase,
    stats: () => ({
      phase: phase(),
      bytesToCaches: summary.bytesToCaches,
      bytesToClients: summary.bytesToClients,
      filesToCaches: summary.filesToCaches,
      filesToClients: summary.filesToClients,
      redirects: summary.redirects,
      ...shaping(driver),
      demand: st.ledger.totals(),
      cachesRegistered: st.caches.filter((c) => c && !c.lost).length,
      clientsRegistered: st.clients.filter((c) => c).length,
      listsIn: st.lists.filter((l) => l).length,
      clientsDone: [...st.done].sort((a, b) => a - b),
      lost: summary.lost,
    }),
    file: (id) =>
      Number.isInteger(id) && id >= 1 && id <= st.s.files
        ? { size: files.size(id), read: (offset, length) => files.store.read(id, offset, length) }
        : undefined,
  };
}
