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
import type { Logger } from "../core/log.ts";
import { type Clock, realClock } from "../core/clock.ts";
import type { Scenario } from "../core/scenario.ts";
import type { Phase, RoleView } from "../core/role_view.ts";
import type { FileSource } from "../core/virtual_files.ts";
import type { InputRecord } from "../engine/input_trace.ts";
import type { EngineEvent } from "../protocol/role_event.ts";
import type { OriginEngine, OriginSummary } from "../engine/origin.ts";
import { gate } from "./connection_gate.ts";
import { DEFAULT_MAX_CONNECTIONS } from "./limits.ts";
import { fileRange } from "./file_parts.ts";
import { OriginDriver } from "./origin_driver.ts";

/** Options of {@link runOrigin}. */
export interface OriginOptions {
  readonly scenario: Scenario;
  readonly adapter: NetAdapter;
  readonly listen: Address;
  readonly log: Logger;
  readonly clock?: Clock;
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
  /**
   * Receives every input the engine handles, with its time and effects
   * (engine/input_trace.ts; `--trace-inputs`): for comparing a run with its
   * simulation. None (the default) costs nothing.
   */
  readonly traceInputs?: (record: InputRecord) => void;
}

export type { OriginSummary } from "../engine/origin.ts";

/**
 * Runs the origin until every client is done (or the run fails): listens,
 * serves every connection through an {@link OriginDriver}, and once the
 * engine says stop closes the listener and the connections.
 *
 * @param options the scenario, the adapter and address to listen on, the log, and the optional hooks
 * @returns the engine's summary (`ok` when the run ended without a failure)
 * @throws {ForesightError} when it cannot listen (CONFIG, e.g. the address is in use); the
 *   run's own failures are reported in the summary
 * @example
 * ```ts
 * const summary = await runOrigin({ scenario, adapter, listen: { host: "127.0.0.1", port: 7000 }, log });
 * ```
 */
export async function runOrigin(options: OriginOptions): Promise<OriginSummary> {
  const { adapter, log } = options;
  const clock = options.clock ?? realClock;
  const driver = new OriginDriver({ ...options, clock });
  options.onView?.(originView(driver.engine, driver.files));
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
  return driver.engine.end();
}

/** The origin's read-only view (admin API, metrics): phase, counters, files. */
function originView(engine: OriginEngine, files: FileSource): RoleView {
  const { st, summary } = engine;
  const phase = (): Phase => engine.phase;
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
      Number.isInteger(id) && id >= 1 && id <= st.s.files
        ? { size: files.size(id), read: (offset, length) => fileRange(files, id, offset, length) }
        : undefined,
  };
}
