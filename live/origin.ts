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
import { DemandLedger, ORIGIN } from "../core/demand_ledger.ts";
import { FileSource } from "../core/virtual_files.ts";
import { Pacer } from "../core/pacer.ts";
import { type Scenario, shardOf, wireRate } from "../core/scenario.ts";
import { makeOriginPolicy } from "../core/policies.ts";
import { ORIGIN_SOURCE, type OriginPolicy, type Source } from "../core/policy.ts";
import type { Phase, RoleView } from "../core/role_view.ts";
import { ForesightError } from "../errors.ts";
import { type Message, PROTOCOL_VERSION } from "../protocol/mod.ts";
import { Peer } from "./peer.ts";
import { gate } from "./connection_gate.ts";
import { DEFAULT_MAX_CONNECTIONS, HANDSHAKE_MS } from "./limits.ts";
import { handshake, type Hello } from "./handshake.ts";
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
  readonly onEvent?: (event: Record<string, unknown>) => void;
  /** Aborts the run. */
  readonly signal?: AbortSignal;
  /** Receives the role's read-only view once it exists (admin API, metrics). */
  readonly onView?: (view: RoleView) => void;
  /** Shared secret every cache and client must prove it holds; none = anyone may join. */
  readonly secret?: string;
  /** Most connections open at once (default {@link DEFAULT_MAX_CONNECTIONS}). */
  readonly maxConnections?: number;
}

/** What the origin reports when it ends. */
export interface OriginSummary {
  ok: boolean;
  error?: string;
  bytesToCaches: number;
  bytesToClients: number;
  filesToCaches: number;
  filesToClients: number;
  /** Direct requests for files nobody listed (served anyway). */
  ownerRaces: number;
  /** Direct requests sent back to the cache that had just taken the file's demand. */
  redirects: number;
  /** Caches lost mid-run (their files then came from the origin). */
  lostCaches: number;
  /** Files served directly whose demand a lost cache had held. */
  servedForLostCaches: number;
  /** Clients lost mid-run (their demand was released). */
  lostClients: number;
  /** Caches that came back mid-run (a lost place taken again). */
  rejoinedCaches: number;
  ledger: ReturnType<DemandLedger["totals"]>;
}

interface CacheSlot {
  peer: Peer;
  address: Address;
  warm: boolean;
  /** Gone mid-run: its files are served by the origin from then on. */
  lost: boolean;
  /** Took a lost cache's place mid-run: it started empty, without a warm-up. */
  rejoined: boolean;
  /** Clients sent this cache's `rejoin`: their direct requests for its files go back to it. */
  told: Set<number>;
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
  const ledger = new DemandLedger(s.files);
  const caches: (CacheSlot | undefined)[] = new Array(s.caches).fill(undefined);
  const clients: (Peer | undefined)[] = new Array(s.clients).fill(undefined);
  const lists: (number[] | undefined)[] = new Array(s.clients).fill(undefined);
  const done = new Set<number>();
  /** Clients gone mid-run. */
  const lostClients = new Set<number>();
  /** Clients that were sent the cache list. */
  const toldCaches = new Set<number>();
  /** Per client: the files the origin served it directly. */
  const servedTo = Array.from({ length: s.clients }, () => new Set<number>());
  /** Files pushed into a cache so far. */
  const pushed = new Set<number>();
  /** Files whose demand a lost cache held: requests for them are served here. */
  const orphaned = new Set<number>();
  /** Per client, once the run begins: each listed file's source. */
  let routeOf: Map<number, Source>[] = [];
  const peers = new Set<Peer>();
  let policy: OriginPolicy | undefined;
  let started = false;
  let finished = false;
  let failure: string | undefined;
  const summary: OriginSummary = {
    ok: false,
    bytesToCaches: 0,
    bytesToClients: 0,
    filesToCaches: 0,
    filesToClients: 0,
    ownerRaces: 0,
    redirects: 0,
    lostCaches: 0,
    servedForLostCaches: 0,
    lostClients: 0,
    rejoinedCaches: 0,
    ledger: ledger.totals(),
  };
  let resolveEnd!: () => void;
  const ended = new Promise<void>((r) => (resolveEnd = r));

  const emit = (event: Record<string, unknown>) => options.onEvent?.(event);

  const welcome = (index: number): Message => ({
    type: "welcome",
    v: PROTOCOL_VERSION,
    index,
    scenario: s,
  });

  const cacheList = (): Message => ({
    type: "caches",
    caches: caches.map((c, index) => ({ index, host: c!.address.host, port: c!.address.port })),
  });

  const allCaches = () => caches.every((c) => c !== undefined);

  const fail = (reason: string) => {
    if (finished) return;
    failure = reason;
    log.log("error", "run failed", { reason });
    stopAll(reason);
  };

  const stopAll = (reason: string) => {
    if (finished) return;
    finished = true;
    for (const p of peers) {
      p.send({ type: "stop", reason }).catch(() => {}).finally(() => p.close());
    }
    resolveEnd();
  };

  /**
   * A cache is gone mid-run: nothing more is pushed to it, and the origin
   * serves the files whose demand it held (clients fall back by themselves).
   */
  const loseCache = (index: number, reason: string) => {
    const slot = caches[index]!;
    if (slot.lost) return;
    slot.lost = true;
    summary.lostCaches++;
    // Its files come back to the origin (with no count: the requests still to
    // come for them are served directly); a cache taking its place starts empty.
    for (const f of ledger.reclaim(index)) orphaned.add(f);
    log.log("warn", "cache lost; its clients fall back to the origin", { cache: index, reason });
    emit({ event: "cache-lost", index, reason });
  };

  /**
   * A client is gone mid-run: the requests it will never make are withdrawn
   * from the origin's ledger, and each cache is told to forgo what it owed
   * it, so its space frees; the others carry on.
   */
  const loseClient = (index: number, reason: string) => {
    if (lostClients.has(index) || done.has(index)) return;
    lostClients.add(index);
    summary.lostClients++;
    log.log("warn", "client lost; releasing its demand", { client: index, reason });
    emit({ event: "client-lost", index, reason });
    // Where its share of each file still is: at the origin (withdraw it, and
    // a push yet to come carries one request less), or in a cache already
    // (that cache forgoes it on `release`).
    const via = new Map(policy?.routes(index) ?? []);
    for (const f of lists[index] ?? []) {
      if (servedTo[index]!.has(f)) continue;
      const source = via.get(f);
      if (source !== undefined && source >= 0) {
        if (pushed.has(f)) continue;
        policy?.forgo?.(index, f);
      }
      ledger.cancel(f);
    }
    for (const c of caches) {
      if (c && !c.lost) c.peer.send({ type: "release", client: index }).catch(() => {});
    }
    if (done.size + lostClients.size === s.clients) stopAll("every client is done or gone");
  };

  /** How many of `file`'s requests go with its push: what the policy says, at most what is still owed. */
  const pushCount = (cache: number, file: number) =>
    Math.min(policy!.pushCount?.(cache, file) ?? Infinity, ledger.outstanding(file));

  /** Whether `client` still wants `file` from `cache` (its route, not yet served, not gone). */
  const owes = (client: number, cache: number, file: number) =>
    !lostClients.has(client) && !done.has(client) && !servedTo[client]!.has(file) &&
    routeOf[client]!.get(file) === cache;

  /**
   * A push into a cache that took a lost one's place carries the requests of
   * exactly the clients that will ask it for the file: those routed there
   * and not served meanwhile (pull-through caches own no demand: 0).
   */
  const rejoinedCount = (cache: number, file: number) => {
    if (policy!.pushCount?.(cache, file) === 0) return 0;
    let n = 0;
    for (let c = 0; c < s.clients; c++) if (owes(c, cache, file)) n++;
    return Math.min(n, ledger.outstanding(file));
  };

  /**
   * A cache took a lost one's place mid-run: each client is told where it is
   * and which of its files to fetch there again (in the order the cache gets
   * them), then the cache is started empty with its first hint.
   */
  const rejoin = async (index: number) => {
    const slot = caches[index]!;
    summary.rejoinedCaches++;
    const upcoming = policy!.upcoming?.(index);
    for (let c = 0; c < s.clients; c++) {
      const peer = clients[c];
      if (!peer || lostClients.has(c) || done.has(c)) continue;
      const mine = upcoming ?? [...routeOf[c]!.keys()].sort((a, b) => a - b);
      const files = mine.filter((f) => owes(c, index, f));
      slot.told.add(c);
      await peer.send({
        type: "rejoin",
        cache: index,
        host: slot.address.host,
        port: slot.address.port,
        files,
      });
    }
    log.log("info", "cache rejoined; clients told", { cache: index, clients: slot.told.size });
    emit({ event: "cache-rejoined", index });
    await slot.peer.send({ type: "start", next: policy!.hint(index) });
  };

  const push = (cache: number, file: number, count: number, cause?: number) => {
    const slot = caches[cache]!;
    const size = files.size(file);
    pushed.add(file);
    summary.filesToCaches++;
    summary.bytesToCaches += size;
    slot.peer.sendFile(
      { type: "file", file, size, count, next: policy!.hint(cache) },
      fileParts(files, file),
      cause,
    ).catch((e) => {
      if (started) loseCache(cache, `Cannot push file ${file}: ${(e as Error).message}`);
      else fail(`Cannot push file ${file} to cache ${cache}: ${(e as Error).message}`);
    });
  };

  const serveClient = (client: number, file: number, cause?: number, direct = false) => {
    const peer = clients[client]!;
    const owner = ledger.owner(file);
    // A client that cannot reach the file's cache (gone, perhaps before the
    // origin noticed) asks `direct`: it is served here, not sent back there,
    // unless that cache has since come back and the client was told so.
    const live = owner !== ORIGIN && caches[owner] !== undefined && !caches[owner]!.lost;
    if (live && (!direct || caches[owner]!.told.has(client))) {
      // The demand moved to a cache while this request was on its way (the
      // client saw a miss just before the push began): send it back there.
      summary.redirects++;
      peer.send({ type: "miss", file, next: null }).catch(() => {});
      return;
    }
    if (live) {
      // Its cache is gone but the origin has not noticed yet.
      summary.servedForLostCaches++;
    } else if (!ledger.serveDirect(file)) {
      if (orphaned.has(file)) summary.servedForLostCaches++;
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
    policy = makeOriginPolicy(s, {
      ledger,
      caches: s.caches,
      capacity: s.capacityKiB * 1024,
      lists: lists as number[][],
      size: (f) => files.size(f),
    });
    const p = policy;
    routeOf = lists.map((list, c) => {
      const routes = new Map(p.routes(c) ?? []);
      const fallback = (f: number) => s.caches > 0 ? shardOf(f, s.caches) : ORIGIN_SOURCE;
      return new Map(list!.map((f) => [f, routes.get(f) ?? fallback(f)]));
    });
    const pushes = policy.warmup();
    const counts = pushes.map((p) => ledger.handOff(p.file, p.cache, pushCount(p.cache, p.file)));
    pushes.forEach((p, i) => push(p.cache, p.file, counts[i]!));
    log.log("info", "warming caches", { pushes: pushes.length });
    // `start` to a cache follows its warm-up pushes on the same link; the cache echoes it when all arrived.
    for (const c of caches) await c!.peer.send({ type: "start" });
  };

  const maybeStartClients = async () => {
    if (started || !caches.every((c) => c?.warm)) return;
    started = true;
    const t0 = clock.now();
    emit({ event: "start", at: t0 });
    log.log("info", "all caches warm: starting clients");
    for (let i = 0; i < s.clients; i++) {
      const routes = policy!.routes(i);
      if (routes) await clients[i]!.send({ type: "plan", routes });
      await clients[i]!.send({ type: "start" });
    }
  };

  const onCacheMessage = (index: number, msg: Message) => {
    const slot = caches[index]!;
    switch (msg.type) {
      case "start":
        slot.warm = true;
        maybeStartClients().catch((e) => fail(`Cannot start the clients: ${(e as Error).message}`));
        return;
      case "request": {
        if (policy && policy.grant(index, msg.file)) {
          const n = slot.rejoined ? rejoinedCount(index, msg.file) : pushCount(index, msg.file);
          if (slot.rejoined && n === 0 && policy.pushCount?.(index, msg.file) !== 0) {
            // Everyone it was for got it while the cache was away: skip it.
            slot.peer.send({ type: "miss", file: msg.file, next: policy.hint(index) })
              .catch(() => {});
            return;
          }
          push(index, msg.file, ledger.handOff(msg.file, index, n), msg.at);
        } else {
          slot.peer.send({ type: "miss", file: msg.file, next: policy ? policy.hint(index) : null })
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
        emit({ event: "list", client: index, files: msg.files.length });
        if (lists.every((l) => l !== undefined)) {
          begin().catch((e) => fail(`Cannot warm the caches: ${(e as Error).message}`));
        }
        return;
      }
      case "request":
        if (!started) {
          throw new ForesightError("PROTOCOL", `Cannot serve client ${index} before the start`);
        }
        serveClient(index, msg.file, msg.at, msg.direct === true);
        return;
      case "done":
        done.add(index);
        emit({ event: "done", client: index });
        if (done.size + lostClients.size === s.clients) stopAll("every client is done");
        return;
      default:
        throw new ForesightError(
          "PROTOCOL",
          `Cannot handle "${msg.type}" from client ${index}: not expected`,
        );
    }
  };

  const register = (
    peer: Peer,
    hello: Hello & { role: "cache" | "client" },
  ): { role: "cache" | "client"; index: number } => {
    const table: unknown[] = hello.role === "cache" ? caches : clients;
    // A cache may take the place of one lost mid-run.
    const free = (x: unknown) =>
      x === undefined || (hello.role === "cache" && (x as CacheSlot).lost && !finished);
    const empty = table.findIndex((x) => x === undefined);
    const index = hello.index ?? (empty >= 0 ? empty : table.findIndex(free));
    if (index < 0 || index >= table.length) {
      throw new ForesightError(
        "PROTOCOL",
        `Cannot register ${hello.role}: all ${table.length} places are taken`,
      );
    }
    if (!free(table[index])) {
      throw new ForesightError(
        "PROTOCOL",
        `Cannot register ${hello.role} ${index}: already registered`,
      );
    }
    if (hello.role === "cache") {
      const adv = hello.advertise;
      if (!adv) {
        throw new ForesightError("PROTOCOL", "Cannot register cache: no advertised address");
      }
      const host = adv.host === "0.0.0.0" || adv.host === "::" ? peer.conn.remote.host : adv.host;
      caches[index] = {
        peer,
        address: { host, port: adv.port },
        warm: false,
        lost: false,
        rejoined: caches[index] !== undefined,
        told: new Set(),
      };
    } else {
      clients[index] = peer;
    }
    return { role: hello.role, index };
  };

  const onConnection = async (conn: import("../net/types.ts").Conn) => {
    const remote = `${conn.remote.host}:${conn.remote.port}`;
    const peer = new Peer(conn, {
      log,
      pacer: undefined,
    });
    let who: { role: "cache" | "client"; index: number } | undefined;
    try {
      const msgs = peer.messages();
      const hello = await handshake(msgs, {
        timeoutMs: HANDSHAKE_MS,
        send: (m) => peer.send(m),
        secret: options.secret,
      });
      if (finished) throw new ForesightError("PROTOCOL", "Cannot register: the run is over");
      if (hello.role === "probe") {
        await peer.send(welcome(0));
        peer.close();
        return;
      }
      who = register(peer, hello as Hello & { role: "cache" | "client" });
      peers.add(peer);
      const rate = who.role === "cache" ? s.rateOriginCache : s.rateOriginClient;
      peer.setPacer(new Pacer(wireRate(rate, s.scale), clock));
      log.log("info", `${who.role} registered`, { index: who.index, remote });
      emit({ event: "register", role: who.role, index: who.index });
      await peer.send(welcome(who.index));
      if (who.role === "cache" && caches[who.index]!.rejoined) await rejoin(who.index);
      // Every client gets the cache list exactly once, as soon as both it and
      // the last cache are registered (whichever comes second sends it).
      if (allCaches()) {
        const due = who.role === "cache"
          ? clients.map((c, i) => [c, i] as const)
          : [[peer, who.index] as const];
        for (const [c, i] of due) {
          if (!c || toldCaches.has(i)) continue;
          toldCaches.add(i);
          await c.send(cacheList());
        }
      }
      for await (const msg of msgs) {
        if (who.role === "cache") onCacheMessage(who.index, msg);
        else onClientMessage(who.index, msg);
      }
      if (!finished) throw new ForesightError("CONN_CLOSED", "disconnected before the run ended");
    } catch (e) {
      const err = e instanceof ForesightError
        ? e
        : new ForesightError("INTERNAL", String(e), { cause: e });
      log.log("warn", "connection closed", { remote, code: err.code, reason: err.message });
      if (!peer.isClosed) await peer.reject(err);
      if (who?.role === "cache" && started && !finished) loseCache(who.index, err.message);
      else if (who?.role === "client" && started && !finished) loseClient(who.index, err.message);
      else if (who && !finished) fail(`${who.role} ${who.index} failed: ${err.message}`);
    } finally {
      peer.close();
    }
  };

  const phase = (): Phase =>
    finished
      ? "stopping"
      : started
      ? "running"
      : policy
      ? "warming"
      : allCaches() && clients.every((c) => c)
      ? "waiting"
      : "registering";
  options.onView?.({
    role: "data",
    phase,
    stats: () => ({
      phase: phase(),
      bytesToCaches: summary.bytesToCaches,
      bytesToClients: summary.bytesToClients,
      filesToCaches: summary.filesToCaches,
      filesToClients: summary.filesToClients,
      redirects: summary.redirects,
      demand: ledger.totals(),
      cachesRegistered: caches.filter((c) => c).length,
      clientsRegistered: clients.filter((c) => c).length,
      listsIn: lists.filter((l) => l).length,
      clientsDone: [...done].sort((a, b) => a - b),
    }),
    file: (id) =>
      Number.isInteger(id) && id >= 1 && id <= s.files
        ? { size: files.size(id), read: (offset, length) => fileRange(files, id, offset, length) }
        : undefined,
  });
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
