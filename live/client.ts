/**
 * The client, runtime-agnostic: learns the caches from the origin, sends its
 * request list, waits for the start, fetches every file (one outstanding
 * fetch per source at most), verifies every byte, reports done. What to fetch
 * from where is the client engine's to decide (engine/client.ts); its driver
 * is live/client_run.ts with live/client_places.ts and live/client_fetch.ts.
 * This file holds the options, the summary and {@link runClient}.
 *
 * @module
 */

import type { Address, NetAdapter } from "../net/types.ts";
import type { Logger } from "../core/run/log.ts";
import type { Clock } from "../core/run/clock.ts";
import type { RoleView } from "../core/run/role_view.ts";
import type { EngineEvent } from "../protocol/role_event.ts";
import type { FileSink } from "../core/files/file_sink.ts";
import type { Sha256 } from "../core/files/sha256.ts";
import type { InputRecord } from "../engine/input_trace.ts";
import { ClientRun } from "./client_run.ts";

/** Options of {@link runClient}. */
export interface ClientOptions {
  readonly adapter: NetAdapter;
  readonly origin: Address;
  /** Ask for this client index (default: the origin picks). */
  readonly index?: number;
  readonly log: Logger;
  readonly clock?: Clock;
  readonly onEvent?: (event: EngineEvent) => void;
  /** Receives the role's read-only view once it exists (admin API, metrics). */
  readonly onView?: (view: RoleView) => void;
  /** Shared secret, proven to the origin and the caches. */
  readonly secret?: string;
  /** Give up reaching the origin after this many ms (default 30 000). */
  readonly connectDeadlineMs?: number;
  /**
   * Where each verified file goes (`DirSink` for `--out`, `callbackSink` for a
   * callback); none: verified files are dropped. A file already there with
   * the right bytes is not fetched.
   */
  readonly sink?: FileSink;
  /**
   * Makes the SHA-256 that checks a real store's files (default the core's
   * Web Crypto one; the roles pass `nodeSha256`, which streams).
   */
  readonly sha256?: () => Sha256;
  /**
   * This client's own list, as a demand file's text (see `parseDemand`: CSV
   * `client,file` or JSON, names or ids): its only list, or else the list of
   * its index. Default: drawn from the scenario's seed.
   */
  readonly want?: { readonly text: string; readonly source: string };
  /** How often to report progress (ms, default 250). */
  readonly progressMs?: number;
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

/** What a client reports when it ends. */
export interface ClientSummary {
  ok: boolean;
  error?: string;
  index: number;
  files: number;
  bytes: number;
  verified: number;
  corrupt: number;
  hits: number;
  misses: number;
  fromOrigin: number;
  /** Simulated seconds from the start to the last file. */
  finishSimSeconds: number;
  wallSeconds: number;
  requested: number;
  /** Caches lost during the run (their files then came from the origin). */
  lostSources: number;
  /** Bytes of partial files discarded when their source was lost. */
  discardedBytes: number;
  /** Caches that came back mid-run and served this client again. */
  regainedSources: number;
  /** Files of its list already verified in its sink (`--out`) at the start, not fetched. */
  skipped: number;
  /** Files whose copy came wrong and was fetched again from the origin, verified. */
  refetched: number;
  /** Files the origin refused (changed on disk since it listed them): failed, not corrupt. */
  failed: number;
}

/**
 * Runs a client until it holds every file and the origin says stop (see
 * live/client_run.ts for its phases).
 *
 * @param options the adapter, the origin's address, the log, and the optional hooks
 * @returns the summary: `ok` when every file came in verified and the origin said stop; else `error` says why
 * @throws never; failures are reported in the summary
 * @example
 * ```ts
 * const summary = await runClient({ adapter, origin: { host: "127.0.0.1", port: 7000 }, log });
 * ```
 */
export async function runClient(options: ClientOptions): Promise<ClientSummary> {
  const run = new ClientRun(options);
  options.onView?.(run.view());
  try {
    await run.run();
  } catch (e) {
    run.failed(e as Error);
  } finally {
    await run.close();
  }
  return run.summary;
}
