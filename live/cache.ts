/**
 * The cache server, runtime-agnostic: registers with the origin, takes its
 * pushes within capacity, serves clients (cut-through while a file still
 * arrives), evicts at a zero count and asks for refills as space frees.
 *
 * @module
 */

import type { Address, NetAdapter } from "../net/types.ts";
import type { Logger } from "../core/log.ts";
import { type Clock, realClock } from "../core/clock.ts";
import { makeCachePolicy } from "../core/policies.ts";
import { FileBuffer } from "../core/file_buffer.ts";
import type { RoleView } from "../core/role_view.ts";
import { requestList, wireRate } from "../core/scenario.ts";
import { FileSource } from "../core/virtual_files.ts";
import { ForesightError } from "../errors.ts";
import { PROTOCOL_VERSION } from "../protocol/mod.ts";
import { Peer } from "./peer.ts";
import { gate } from "./connection_gate.ts";
import { CONNECT_DEADLINE_MS, DEFAULT_MAX_CONNECTIONS, JOIN_MS } from "./limits.ts";
import { awaitWelcome } from "./handshake.ts";
import { connectWithRetry } from "./connect.ts";
import { cacheState, type CacheSummary, cacheView, wake } from "./cache_state.ts";
import { serveClient } from "./cache_clients.ts";
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
  // No refills during the warm-up: the origin's pushes are still arriving and
  // their space is not reserved yet. The origin's `start` ends the warm-up.
  const st = cacheState(log, clock, () => {
    if (st.stopped || !st.warm) return;
    const want = st.brain!.refill();
    if (want !== null) {
      origin.send({ type: "request", file: want, at: clock.now() }).catch(() => {});
    }
  });
  const { peers, buffers, pushStarts, pages, servedTo, waiting, summary } = st;
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
  const origin = new Peer(conn, { log, idleMs: options.idleMs });
  const msgs = origin.messages();
  let current: { file: number; buffer: FileBuffer; received: number } | undefined;
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
    st.scenario = welcome.scenario;
    summary.index = welcome.index;
    summary.capacityBytes = st.scenario.capacityKiB * 1024;
    const f = new FileSource({ seed: st.scenario.seed });
    const s = st.scenario;
    st.brain = makeCachePolicy(s, summary.index, {
      // Belady reads the future from every client's list, derived as the clients derive them.
      lists: Array.from(
        { length: s.clients },
        (_, c) => requestList(s.seed, c, s.files, s.requests),
      ),
      size: (n) => f.size(n),
      onEvict: (file) => {
        pushStarts.delete(file);
        buffers.get(file)?.release();
        buffers.delete(file);
        summary.evicted++;
      },
    });
    ready();
    log.log("info", "registered with origin", { index: summary.index });
    options.onEvent?.({ event: "registered", index: summary.index, port: advertise.port });
    for await (const msg of msgs) {
      switch (msg.type) {
        case "file": {
          if (current) {
            throw new ForesightError(
              "PROTOCOL",
              `Cannot start file ${msg.file}: file ${current.file} is incomplete`,
            );
          }
          st.brain.pushed(msg.file, msg.size, msg.count, msg.next);
          const buffer = new FileBuffer(msg.size, pages);
          buffers.set(msg.file, buffer);
          pushStarts.set(
            msg.file,
            msg.due === undefined
              ? clock.now()
              : msg.due - msg.size / wireRate(s.rateOriginCache, s.scale) * 1000,
          );
          summary.pushedFiles++;
          current = { file: msg.file, buffer, received: 0 };
          if (msg.size === 0) current = undefined;
          wake(st, msg.file);
          st.refill();
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
          st.brain.declined(msg.file, msg.next ?? null);
          wake(st, msg.file);
          st.refill();
          break;
        case "start":
          st.warm = true;
          // A cache that takes a lost one's place mid-run starts empty: the
          // origin's first hint comes with the start.
          if (msg.next !== undefined) st.brain.hinted(msg.next);
          await origin.send({ type: "start" });
          options.onEvent?.({
            event: "warm",
            files: st.brain.store.size,
            bytes: st.brain.store.used,
          });
          st.refill();
          break;
        case "release": {
          // A client is gone, or cannot reach this cache: forgo the requests
          // the origin's pushes carried for it that it was not served.
          const got = servedTo.get(msg.client);
          let forgone = 0;
          for (const f of msg.files) {
            if (got?.has(f) || !st.brain.store.get(f)) continue;
            st.brain.forgo(f);
            forgone++;
          }
          log.log("info", "client released", { client: msg.client, forgone });
          st.refill();
          break;
        }
        case "stop":
          log.log("info", "origin says stop", { reason: msg.reason });
          st.stopped = true;
          break;
        default:
          throw new ForesightError(
            "PROTOCOL",
            `Cannot handle "${msg.type}" from the origin: not expected`,
          );
      }
      if (st.stopped) break;
    }
    if (!st.stopped) {
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
    st.stopped = true;
    for (const w of waiting.keys()) wake(st, w);
    await listener.close();
    origin.close();
    for (const p of peers) p.close();
    await Promise.race([
      Promise.all([origin.conn.closed, ...[...peers].map((p) => p.conn.closed)]),
      clock.sleep(5000),
    ]);
  }
  if (st.brain) {
    summary.peakBytes = st.brain.store.peak;
    summary.hits = st.brain.hits;
    summary.misses = st.brain.misses;
    summary.heldAtStop = st.brain.store.size;
    const owed = [...st.brain.store.entries()].filter((e) => e.count > 0 && e.count !== Infinity);
    if (owed.length > 0) {
      log.log("warn", "stopped with requests still owed", {
        files: owed.slice(0, 20).map((e) => `${e.file}×${e.count}`).join(" "),
      });
    }
  }
  return summary;
}
