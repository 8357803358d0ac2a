/**
 * The cache server, runtime-agnostic: registers with the origin, takes its
 * pushes within capacity, serves clients (cut-through while a file still
 * arrives), evicts at a zero count and asks for refills as space frees. A
 * thin driver: its engine (engine/cache.ts) decides, this moves the bytes.
 *
 * @module
 */

import type { Address, NetAdapter } from "../net/types.ts";
import type { Logger } from "../core/log.ts";
import { type Clock, realClock } from "../core/clock.ts";
import { FileBuffer } from "../core/file_buffer.ts";
import type { RoleView } from "../core/role_view.ts";
import { wireRate } from "../core/scenario.ts";
import { ForesightError } from "../errors.ts";
import { PROTOCOL_VERSION } from "../protocol/mod.ts";
import { Peer } from "./peer.ts";
import { gate } from "./connection_gate.ts";
import { CONNECT_DEADLINE_MS, DEFAULT_MAX_CONNECTIONS, JOIN_MS } from "./limits.ts";
import { awaitWelcome } from "./handshake.ts";
import { connectWithRetry } from "./connect.ts";
import { cacheState, type CacheSummary, cacheView } from "./cache_state.ts";
import { serveClient } from "./cache_clients.ts";
import { carry, drive } from "./cache_effects.ts";
import type { EngineEvent } from "../protocol/role_event.ts";

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
}

export type { CacheSummary } from "./cache_state.ts";

/**
 * Runs a cache until the origin says stop.
 */
export async function runCache(options: CacheOptions): Promise<CacheSummary> {
  const { adapter, log } = options;
  const clock = options.clock ?? realClock;
  const st = cacheState(log, clock, options.onEvent);
  const { peers, buffers, pages, summary, engine } = st;
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
  const msgs = origin.messages();
  let current: { file: number; buffer: FileBuffer } | undefined;
  let stopped = false;
  try {
    await origin.send({
      type: "hello",
      v: PROTOCOL_VERSION,
      role: "cache",
      advertise,
      index: options.index,
      runtime: adapter.runtime,
    });
    const welcome = await awaitWelcome(msgs, {
      timeoutMs: JOIN_MS,
      send: (m) => origin.send(m),
      role: "cache",
      secret: options.secret,
    });
    origin.keepAlive();
    const s = welcome.scenario;
    summary.index = welcome.index;
    summary.capacityBytes = s.capacityKiB * 1024;
    const registered = engine.handle(
      { type: "registered", index: welcome.index, scenario: s, port: advertise.port },
      clock.now(),
    );
    ready();
    await carry(st, registered);
    for await (const msg of msgs) {
      switch (msg.type) {
        case "file": {
          if (current) {
            throw new ForesightError(
              "PROTOCOL",
              `Cannot start file ${msg.file}: file ${current.file} is incomplete`,
            );
          }
          // The push began on the origin's link when the origin said (its
          // `due` is when it ends); a request it wakes is answered from then.
          const began = msg.due === undefined
            ? clock.now()
            : msg.due - msg.size / wireRate(s.rateOriginCache, s.scale) * 1000;
          const effects = engine.handle(
            {
              type: "pushBegan",
              file: msg.file,
              size: msg.size,
              count: msg.count,
              next: msg.next,
              began,
            },
            clock.now(),
          );
          // The bytes' place exists before the effects run: woken requests
          // stream from it, and a push owed to nobody is evicted at once.
          const buffer = new FileBuffer(msg.size, pages);
          buffers.set(msg.file, buffer);
          if (msg.due !== undefined) st.pushEnds.set(msg.file, msg.due);
          summary.pushedFiles++;
          if (msg.size > 0) current = { file: msg.file, buffer };
          void carry(st, effects);
          break;
        }
        case "chunk": {
          if (!current || current.file !== msg.file) {
            throw new ForesightError(
              "PROTOCOL",
              `Cannot store a chunk of file ${msg.file}: no such file is arriving`,
            );
          }
          current.buffer.append(msg.data);
          summary.pushedBytes += msg.data.length;
          if (current.buffer.filled === current.buffer.size) current = undefined;
          break;
        }
        case "miss":
          void drive(st, { type: "declined", file: msg.file, next: msg.next ?? null });
          break;
        case "start":
          await drive(st, { type: "started", next: msg.next });
          break;
        case "release":
          void drive(st, { type: "released", client: msg.client, files: msg.files });
          break;
        case "stop":
          log.log("info", "origin says stop", { reason: msg.reason });
          stopped = true;
          void drive(st, { type: "stopped" });
          break;
        default:
          throw new ForesightError(
            "PROTOCOL",
            `Cannot handle "${msg.type}" from the origin: not expected`,
          );
      }
      if (stopped) break;
    }
    if (!stopped) {
      throw new ForesightError(
        "CONN_CLOSED",
        "Cannot go on: the origin closed the connection before saying stop",
      );
    }
    summary.ok = true;
  } catch (e) {
    summary.error = (e as Error).message;
    log.log("error", "cache failed", { reason: summary.error });
    current?.buffer.fail(e as Error);
  } finally {
    // Parked requests are dropped; what is still owed is logged.
    void drive(st, { type: "stopped" });
    await listener.close();
    origin.close();
    for (const p of peers) p.close();
    await Promise.race([
      Promise.all([origin.conn.closed, ...[...peers].map((p) => p.conn.closed)]),
      clock.sleep(5000),
    ]);
  }
  const store = engine.store;
  if (store) {
    summary.peakBytes = store.peak;
    summary.hits = engine.hits;
    summary.misses = engine.misses;
    summary.heldAtStop = store.size;
  }
  return summary;
}
