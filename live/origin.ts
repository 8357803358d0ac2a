/**
 * The origin (data server), runtime-agnostic: registers caches and clients,
 * collects request lists into the demand ledger, warms the caches, starts the
 * run, serves requests, grants refills and stops everyone when every client
 * is done.
 *
 * @module
 */

import type { Address, NetAdapter } from "../net/types.ts";
import type { Logger } from "../core/log.ts";
import { type Clock, realClock } from "../core/clock.ts";
import { ORIGIN } from "../core/demand_ledger.ts";
import { Pacer } from "../core/pacer.ts";
import { type Scenario, shardOf, wireRate } from "../core/scenario.ts";
import { makeOriginPolicy } from "../core/policies.ts";
import { ORIGIN_SOURCE } from "../core/policy.ts";
import type { RoleView } from "../core/role_view.ts";
import { ForesightError } from "../errors.ts";
import { type Message, PROTOCOL_VERSION } from "../protocol/mod.ts";
import { Peer } from "./peer.ts";
import { gate } from "./connection_gate.ts";
import { DEFAULT_MAX_CONNECTIONS, HANDSHAKE_MS } from "./limits.ts";
import { handshake, type Hello } from "./handshake.ts";
import { fileParts } from "./file_parts.ts";
import {
  allCaches,
  originState,
  type OriginSummary,
  originView,
  owedAt,
  register,
} from "./origin_state.ts";
import { cutLink, loseCache, loseClient, pushMembers, rejoin } from "./origin_faults.ts";
import type { EngineEvent } from "../protocol/role_event.ts";

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

export type { OriginSummary } from "./origin_state.ts";

/**
 * Runs the origin until every client is done (or the run fails).
 *
 * @throws never; failures are reported in the summary
 */
export async function runOrigin(options: OriginOptions): Promise<OriginSummary> {
  const { scenario: s, adapter, log } = options;
  const clock = options.clock ?? realClock;
  const peers = new Set<Peer>();
  let failure: string | undefined;
  let resolveEnd!: () => void;
  const ended = new Promise<void>((r) => (resolveEnd = r));
  const st = originState(s, log, {
    emit: (event) => options.onEvent?.(event),
    stopAll: (reason) => {
      if (st.finished) return;
      st.finished = true;
      st.emit({ event: "phase", phase: "stopping" });
      for (const p of peers) {
        p.send({ type: "stop", reason }).catch(() => {}).finally(() => p.close());
      }
      resolveEnd();
    },
    advance: () => {
      if (st.finished) return;
      if (!st.policy && lists.every((l, i) => l !== undefined || lostClients.has(i))) {
        begin().catch((e) => fail(`Cannot warm the caches: ${(e as Error).message}`));
      } else if (st.policy) {
        maybeStartClients().catch((e) => fail(`Cannot start the clients: ${(e as Error).message}`));
      }
    },
  });
  const { files, ledger, caches, clients, lists, done, lostClients, servedTo, summary } = st;
  /** Clients that were sent the cache list. */
  const toldCaches = new Set<number>();

  const welcome = (index: number): Message => ({
    type: "welcome",
    v: PROTOCOL_VERSION,
    index,
    scenario: s,
  });

  /** The caches alive now (a lost one is left out: clients fetch its share from the origin). */
  const cacheList = (): Message => ({
    type: "caches",
    caches: caches.flatMap((c, index) =>
      c && !c.lost
        ? [{ index, host: c.address.host, port: c.address.port, generation: c.generation }]
        : []
    ),
  });
  /** Sends a client a message; a client lost meanwhile is skipped, a failed send loses it. */
  const toClient = (i: number, m: Message): Promise<void> => {
    const peer = clients[i];
    if (!peer || lostClients.has(i)) return Promise.resolve();
    return peer.send(m).catch((e) => loseClient(st, i, (e as Error).message));
  };

  const fail = (reason: string) => {
    if (st.finished) return;
    failure = reason;
    log.log("error", "run failed", { reason });
    st.stopAll(reason);
  };

  /**
   * Pushes `file` into `cache` carrying the requests of exactly the clients
   * that will ask it there (see pushMembers). A push into a demand-counted
   * cache that nobody will ask is not made: returns false.
   */
  const push = (cache: number, file: number, cause?: number): boolean => {
    const slot = caches[cache]!;
    if (slot.lost) return false;
    const members = pushMembers(st, cache, file);
    if (members.length === 0 && st.policy!.pushCount?.(cache, file) !== 0) return false;
    const count = ledger.handOff(file, cache, members.length);
    slot.members.set(file, members);
    for (const c of members) st.carried[c]!.add(file);
    const size = files.size(file);
    st.pushed.add(file);
    summary.filesToCaches++;
    summary.bytesToCaches += size;
    slot.peer.sendFile(
      { type: "file", file, size, count, next: st.policy!.hint(cache) },
      fileParts(files, file),
      cause,
    ).catch((e) =>
      loseCache(st, cache, slot.peer, `Cannot push file ${file}: ${(e as Error).message}`)
    );
    return true;
  };

  const serveClient = (client: number, file: number, cause?: number) => {
    const peer = clients[client]!;
    if (owedAt(st, client, file) !== undefined) {
      // A push carried this client's request into a cache (it began while
      // this request was on its way, or after the client's miss there):
      // send it back there.
      summary.redirects++;
      peer.send({ type: "miss", file, next: null }).catch(() => {});
      return;
    }
    if (ledger.owner(file) !== ORIGIN || !ledger.serveDirect(file)) {
      // Its cache is lost, or unreachable for this client (it said `lost`).
      if (ledger.owner(file) !== ORIGIN || st.orphaned.has(file)) summary.servedForLostCaches++;
      else {
        summary.ownerRaces++;
        log.log("warn", "direct request for a file nobody listed; serving it anyway", {
          client,
          file,
        });
      }
    }
    servedTo[client]!.add(file);
    const size = files.size(file);
    summary.filesToClients++;
    summary.bytesToClients += size;
    peer.sendFile(
      { type: "file", file, size, count: ledger.outstanding(file), next: null },
      fileParts(files, file),
      cause,
    )
      .catch((e) =>
        log.log("warn", "cannot send file to client", {
          client,
          file,
          reason: (e as Error).message,
        })
      );
  };

  const begin = async () => {
    st.policy = makeOriginPolicy(s, {
      ledger,
      caches: s.caches,
      capacity: s.capacityKiB * 1024,
      // A client lost before the warm-up wants nothing.
      lists: lists.map((l, i) => lostClients.has(i) ? [] : l!),
      size: (f) => files.size(f),
      wanted: (cache, f) => pushMembers(st, cache, f).length > 0,
    });
    const p = st.policy;
    st.routeOf = lists.map((list, c) => {
      const routes = new Map(p.routes(c) ?? []);
      const fallback = (f: number) => s.caches > 0 ? shardOf(f, s.caches) : ORIGIN_SOURCE;
      // (A client lost before its list came has none.)
      return new Map((list ?? []).map((f) => [f, routes.get(f) ?? fallback(f)]));
    });
    st.emit({ event: "phase", phase: "warming" });
    const pushes = st.policy.warmup();
    for (const p of pushes) push(p.cache, p.file);
    log.log("info", "warming caches", { pushes: pushes.length });
    // `start` to a cache follows its warm-up pushes on the same link; the cache
    // echoes it when all arrived. A cache lost meanwhile is not waited for.
    for (const [k, c] of caches.entries()) {
      if (c && !c.lost) {
        await c.peer.send({ type: "start" }).catch((e) =>
          loseCache(st, k, c.peer, `Cannot start it: ${(e as Error).message}`)
        );
      }
    }
    maybeStartClients().catch((e) => fail(`Cannot start the clients: ${(e as Error).message}`));
  };

  const maybeStartClients = async () => {
    if (st.started || st.finished || !caches.every((c) => c?.warm || c?.lost)) return;
    st.started = true;
    const t0 = clock.now();
    st.emit({ event: "start", at: t0 });
    st.emit({ event: "phase", phase: "running" });
    log.log("info", "all caches warm: starting clients");
    for (let i = 0; i < s.clients; i++) {
      const routes = st.policy!.routes(i);
      if (routes) await toClient(i, { type: "plan", routes });
      await toClient(i, { type: "start" });
    }
  };

  /**
   * A cache took the place of one lost before the warm-up began: it is warmed
   * like any other, and clients that were told the caches already get the new
   * list (their plan comes with the start).
   */
  const retake = async (index: number) => {
    caches[index]!.rejoined = false;
    summary.rejoinedCaches++;
    st.emit({ event: "cache-rejoined", index });
    for (const i of toldCaches) await toClient(i, cacheList());
  };

  const onCacheMessage = (index: number, msg: Message) => {
    const slot = caches[index]!;
    switch (msg.type) {
      case "start":
        slot.warm = true;
        st.advance();
        return;
      case "request": {
        if (st.policy && st.policy.grant(index, msg.file)) {
          if (push(index, msg.file, msg.at)) return;
          // Granted, but everyone it was for got it meanwhile: skipped.
          slot.peer.send({ type: "miss", file: msg.file, next: st.policy.hint(index) })
            .catch(() => {});
        } else {
          slot.peer.send({
            type: "miss",
            file: msg.file,
            next: st.policy ? st.policy.hint(index) : null,
          })
            .catch(() => {});
        }
        return;
      }
      default:
        throw new ForesightError(
          "PROTOCOL",
          `Cannot handle "${msg.type}" from cache ${index}: not expected`,
        );
    }
  };

  const onClientMessage = (index: number, msg: Message) => {
    switch (msg.type) {
      case "list": {
        if (lists[index]) {
          throw new ForesightError("PROTOCOL", `Cannot take a second list from client ${index}`);
        }
        if (msg.files.length > s.requests) {
          throw new ForesightError(
            "PROTOCOL",
            `Cannot take list of client ${index}: ${msg.files.length} files, at most ${s.requests} allowed`,
          );
        }
        ledger.add(msg.files);
        lists[index] = msg.files;
        st.emit({ event: "list", client: index, files: msg.files.length });
        st.advance();
        return;
      }
      case "request":
        if (!st.started) {
          throw new ForesightError("PROTOCOL", `Cannot serve client ${index} before the start`);
        }
        serveClient(index, msg.file, msg.at);
        return;
      case "lost":
        cutLink(st, index, msg.cache, msg.generation);
        return;
      case "done":
        done.add(index);
        log.log("info", "client done", { client: index });
        st.emit({ event: "done", client: index });
        if (done.size + lostClients.size === s.clients) st.stopAll("every client is done");
        return;
      default:
        throw new ForesightError(
          "PROTOCOL",
          `Cannot handle "${msg.type}" from client ${index}: not expected`,
        );
    }
  };

  const onConnection = async (conn: import("../net/types.ts").Conn) => {
    const remote = `${conn.remote.host}:${conn.remote.port}`;
    const peer = new Peer(conn, {
      log,
      pacer: undefined,
      idleMs: options.idleMs,
    });
    let who: { role: "cache" | "client"; index: number } | undefined;
    try {
      const msgs = peer.messages();
      const hello = await handshake(msgs, {
        timeoutMs: HANDSHAKE_MS,
        send: (m) => peer.send(m),
        secret: options.secret,
      });
      if (st.finished) throw new ForesightError("PROTOCOL", "Cannot register: the run is over");
      if (hello.role === "probe") {
        await peer.send(welcome(0));
        peer.close();
        return;
      }
      who = register(st, peer, hello as Hello & { role: "cache" | "client" });
      peers.add(peer);
      const rate = who.role === "cache" ? s.rateOriginCache : s.rateOriginClient;
      peer.setPacer(new Pacer(wireRate(rate, s.scale), clock));
      log.log("info", `${who.role} registered`, { index: who.index, remote });
      st.emit({ event: "register", role: who.role, index: who.index });
      await peer.send(welcome(who.index));
      peer.keepAlive();
      if (who.role === "cache" && caches[who.index]!.rejoined) {
        if (st.policy) await rejoin(st, who.index);
        else await retake(who.index);
      }
      // Every client gets the cache list exactly once, as soon as both it and
      // the last cache are registered (whichever comes second sends it).
      if (allCaches(st)) {
        const due = who.role === "cache" ? clients.map((_, i) => i) : [who.index];
        for (const i of due) {
          if (!clients[i] || toldCaches.has(i)) continue;
          toldCaches.add(i);
          await toClient(i, cacheList());
        }
      }
      for await (const msg of msgs) {
        if (who.role === "cache") onCacheMessage(who.index, msg);
        else onClientMessage(who.index, msg);
      }
      if (!st.finished) {
        throw new ForesightError("CONN_CLOSED", "disconnected before the run ended");
      }
    } catch (e) {
      const err = e instanceof ForesightError
        ? e
        : new ForesightError("INTERNAL", String(e), { cause: e });
      log.log("warn", "connection closed", { remote, code: err.code, reason: err.message });
      if (!peer.isClosed) await peer.reject(err);
      // A role lost in any phase: the run goes on without it.
      if (who?.role === "cache") loseCache(st, who.index, peer, err.message);
      else if (who?.role === "client") loseClient(st, who.index, err.message);
    } finally {
      peer.close();
    }
  };

  options.onView?.(originView(st));
  const listener = await adapter.listen(
    options.listen,
    gate(options.maxConnections ?? DEFAULT_MAX_CONNECTIONS, log, (conn) => void onConnection(conn)),
  );
  options.onListening?.(listener.address);
  log.log("info", "origin listening", { host: listener.address.host, port: listener.address.port });
  options.signal?.addEventListener("abort", () => fail("aborted"));
  await ended;
  await listener.close();
  await Promise.race([
    Promise.all([...peers].map((p) => p.conn.closed)),
    clock.sleep(5000),
  ]);
  for (const p of peers) p.conn.close();
  summary.ok = failure === undefined;
  if (failure) summary.error = failure;
  summary.ledger = ledger.totals();
  return summary;
}
