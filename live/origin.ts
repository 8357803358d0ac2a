/**
 * The live origin (data server), runtime-agnostic: a thin driver over the
 * origin engine (engine/origin.ts), which decides everything. This file
 * accepts connections, runs the handshake, hands each message to the engine
 * and carries out what it returns: messages and paced file transfers on the
 * right connection, reports, logs, the stop.
 *
 * @module
 */

import type { Address, Conn, NetAdapter } from "../net/types.ts";
import type { Logger } from "../core/log.ts";
import { type Clock, realClock } from "../core/clock.ts";
import { Pacer } from "../core/pacer.ts";
import { type Scenario, wireRate } from "../core/scenario.ts";
import type { Phase, RoleView } from "../core/role_view.ts";
import { FileSource } from "../core/virtual_files.ts";
import { ForesightError } from "../errors.ts";
import { type Message, PROTOCOL_VERSION } from "../protocol/mod.ts";
import type { EngineEvent } from "../protocol/role_event.ts";
import {
  type OriginEffect,
  OriginEngine,
  type OriginInput,
  type OriginSummary,
  type Party,
} from "../engine/origin.ts";
import { Peer } from "./peer.ts";
import { gate } from "./connection_gate.ts";
import { DEFAULT_MAX_CONNECTIONS, HANDSHAKE_MS } from "./limits.ts";
import { handshake } from "./handshake.ts";
import { fileParts, fileRange } from "./file_parts.ts";

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
}

export type { OriginSummary } from "../engine/origin.ts";

/** A connection bound to a place. */
interface Bound {
  readonly peer: Peer;
  readonly generation: number;
}

/**
 * Runs the origin until every client is done (or the run fails).
 *
 * @throws never; failures are reported in the summary
 */
export async function runOrigin(options: OriginOptions): Promise<OriginSummary> {
  const { scenario: s, adapter, log } = options;
  const clock = options.clock ?? realClock;
  const files = new FileSource({ seed: s.seed });
  const engine = new OriginEngine(s, (f) => files.size(f));
  const caches = new Map<number, Bound>();
  const clients = new Map<number, Bound>();
  const peers = new Set<Peer>();
  let resolveEnd!: () => void;
  const ended = new Promise<void>((r) => (resolveEnd = r));

  const bound = (to: Party) => (to.role === "cache" ? caches : clients).get(to.index);

  /** Hands `input` to the engine and carries out its effects; `joining` is the connection a `join` comes from. */
  const dispatch = (input: OriginInput, joining?: Peer) => {
    for (const effect of engine.handle(input, clock.now())) carryOut(effect, joining);
  };

  /** A failed write to `to` loses it (only the connection it failed on). */
  const onWriteFailed = (to: Party, b: Bound, what: string) => (e: unknown) => {
    if (bound(to) !== b) return;
    const reason = `${what}: ${(e as Error).message}`;
    if (to.role === "cache") {
      dispatch({ type: "cache-lost", cache: to.index, generation: b.generation, reason });
    } else dispatch({ type: "client-lost", client: to.index, reason });
  };

  const carryOut = (effect: OriginEffect, joining?: Peer) => {
    switch (effect.kind) {
      case "admit": {
        const peer = joining!;
        (effect.role === "cache" ? caches : clients).set(effect.index, {
          peer,
          generation: effect.generation,
        });
        peers.add(peer);
        const rate = effect.role === "cache" ? s.rateOriginCache : s.rateOriginClient;
        peer.setPacer(new Pacer(wireRate(rate, s.scale), clock));
        log.log("info", `${effect.role} registered`, {
          index: effect.index,
          remote: `${peer.conn.remote.host}:${peer.conn.remote.port}`,
        });
        peer.keepAlive();
        return;
      }
      case "send": {
        const b = bound(effect.to);
        if (!b) return;
        const failed = effect.to.role === "cache" || effect.message.type !== "miss"
          ? onWriteFailed(effect.to, b, `Cannot send ${effect.message.type}`)
          : () => {};
        b.peer.send(effect.message).catch(failed);
        return;
      }
      case "transfer": {
        const b = bound(effect.to);
        if (!b) return;
        const { file, size, count, next } = effect;
        const sent = b.peer.sendFile(
          { type: "file", file, size, count, next },
          fileParts(files, file),
          effect.cause,
        );
        if (effect.to.role === "cache") {
          sent.catch(onWriteFailed(effect.to, b, `Cannot push file ${file}`));
        } else {
          sent.catch((e) =>
            log.log("warn", "cannot send file to client", {
              client: effect.to.index,
              file,
              reason: (e as Error).message,
            })
          );
        }
        return;
      }
      case "stop":
        for (const p of peers) {
          p.send({ type: "stop", reason: effect.reason }).catch(() => {}).finally(() => p.close());
        }
        resolveEnd();
        return;
      case "report":
        options.onEvent?.(effect.event);
        return;
      case "log":
        log.log(effect.level, effect.message, effect.fields);
        return;
    }
  };

  const onMessage = (who: Party, msg: Message): OriginInput => {
    const { index } = who;
    if (who.role === "cache") {
      if (msg.type === "start") return { type: "warm", cache: index };
      if (msg.type === "request") {
        return { type: "refill", cache: index, file: msg.file, at: msg.at };
      }
    } else {
      switch (msg.type) {
        case "list":
          return { type: "list", client: index, files: msg.files };
        case "request":
          return { type: "request", client: index, file: msg.file, at: msg.at };
        case "lost":
          return { type: "link-lost", client: index, cache: msg.cache, generation: msg.generation };
        case "done":
          return { type: "done", client: index };
      }
    }
    throw new ForesightError(
      "PROTOCOL",
      `Cannot handle "${msg.type}" from ${who.role} ${index}: not expected`,
    );
  };

  const onConnection = async (conn: Conn) => {
    const remote = `${conn.remote.host}:${conn.remote.port}`;
    const peer = new Peer(conn, { log, pacer: undefined, idleMs: options.idleMs });
    let who: Party | undefined;
    let generation = 0;
    try {
      const msgs = peer.messages();
      const hello = await handshake(msgs, {
        timeoutMs: HANDSHAKE_MS,
        send: (m) => peer.send(m),
        secret: options.secret,
      });
      if (engine.finished) throw new ForesightError("PROTOCOL", "Cannot register: the run is over");
      if (hello.role === "probe") {
        await peer.send({ type: "welcome", v: PROTOCOL_VERSION, index: 0, scenario: s });
        peer.close();
        return;
      }
      const adv = hello.advertise;
      const host = adv && (adv.host === "0.0.0.0" || adv.host === "::")
        ? conn.remote.host
        : adv?.host;
      const effects = engine.handle({
        type: "join",
        role: hello.role,
        index: hello.index,
        host,
        port: adv?.port,
      }, clock.now());
      const admit = effects[0]!;
      if (admit.kind === "admit") {
        who = { role: admit.role, index: admit.index };
        generation = admit.generation;
      }
      for (const effect of effects) carryOut(effect, peer);
      for await (const msg of msgs) dispatch(onMessage(who!, msg));
      if (!engine.finished) {
        throw new ForesightError("CONN_CLOSED", "disconnected before the run ended");
      }
    } catch (e) {
      const err = e instanceof ForesightError
        ? e
        : new ForesightError("INTERNAL", String(e), { cause: e });
      log.log("warn", "connection closed", { remote, code: err.code, reason: err.message });
      if (!peer.isClosed) await peer.reject(err);
      // A role lost in any phase: the run goes on without it.
      if (who?.role === "cache") {
        dispatch({ type: "cache-lost", cache: who.index, generation, reason: err.message });
      } else if (who?.role === "client") {
        dispatch({ type: "client-lost", client: who.index, reason: err.message });
      }
    } finally {
      peer.close();
    }
  };

  options.onView?.(originView(engine, files));
  const listener = await adapter.listen(
    options.listen,
    gate(options.maxConnections ?? DEFAULT_MAX_CONNECTIONS, log, (conn) => void onConnection(conn)),
  );
  options.onListening?.(listener.address);
  log.log("info", "origin listening", { host: listener.address.host, port: listener.address.port });
  options.signal?.addEventListener("abort", () => dispatch({ type: "fail", reason: "aborted" }));
  await ended;
  await listener.close();
  await Promise.race([
    Promise.all([...peers].map((p) => p.conn.closed)),
    clock.sleep(5000),
  ]);
  for (const p of peers) p.conn.close();
  return engine.end();
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
