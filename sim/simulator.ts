/**
 * The discrete-event simulator: runs a scenario in virtual time, driving the
 * very engines the live roles run (engine/origin.ts, engine/cache.ts,
 * engine/client.ts, which call the policies of core/policy_registry.ts): this file
 * only moves messages and time, with the network model of sim/README.md:
 *
 * - Every directed connection is its own link at its configured rate
 *   (origin → client `rateOriginClient`, origin → cache `rateOriginCache`,
 *   cache → client `rateCacheClient`, KiB/s; file n is n·1024 bytes). A link
 *   sends whole files one at a time, first queued first sent.
 * - Control messages (requests, misses, plans, hints) take no time; each is
 *   delivered as its own step at the moment it is sent.
 * - A push's header reaches the cache when the push begins: the cache
 *   reserves the file's whole size then (`CachePolicy.pushed`). A cache may
 *   forward a file still arriving: the forward starts when the client's
 *   request is served (never before the header) and ends at
 *   max(start + size/rate, the push's end).
 * - A request racing a push is whatever the cache policy says: `wait` parks
 *   it until the file's push begins (or the origin declines it), then it is
 *   asked again. A direct request for a file whose demand a cache has just
 *   taken is answered with a miss by the origin (as live), and the client
 *   asks the cache again.
 * - Warm-up pushes are applied before time 0 and take no time; caches start
 *   refilling and clients start fetching at time 0 (the start signal).
 * - The makespan is the moment the last client holds all its files.
 *
 * Same scenario and lists → the same steps in the same order, so the same
 * result on every run and every runtime.
 *
 * @module
 */

import { ForesightError } from "../errors.ts";
import { CacheEngine, type CacheInput } from "../engine/cache.ts";
import { ClientEngine, type ClientInput } from "../engine/client.ts";
import { type OriginEffect, OriginEngine, type OriginInput } from "../engine/origin.ts";
import type { ControlMessage } from "../protocol/control_message.ts";
import { ORIGIN_SOURCE, type Source } from "../core/policy.ts";
import { requestList, type Scenario } from "../core/scenario.ts";
import { EventQueue } from "./event_queue.ts";
import { Link } from "./link.ts";
import type { SimCache, SimClient, SimResult } from "./sim_result.ts";

export type { SimCache, SimClient, SimResult } from "./sim_result.ts";

/** Options of {@link simulate}. */
export interface SimOptions {
  /** Request lists, one per client (default: the scenario's, from `requestList`). */
  readonly lists?: readonly (readonly number[])[];
  /** Check the caches' invariants after every step (slow; for tests). */
  readonly check?: boolean;
  /** Give up after this many steps (default 200 million). */
  readonly maxSteps?: number;
}

interface ClientState {
  /** The engine the live client runs. */
  readonly engine: ClientEngine;
  readonly stats: SimClient;
}

interface CacheState {
  /** The engine the live cache runs. */
  readonly engine: CacheEngine;
  readonly stats: SimCache;
  /** Files still arriving → the moment their push ends. */
  readonly arriving: Map<number, number>;
  readonly fromOrigin: Link;
  readonly toClient: Link[];
}

/**
 * Simulates `scenario` under `scenario.policy`.
 *
 * @throws {ForesightError} INTERNAL when the run cannot finish (a client
 * never gets its files) or a policy breaks its contract; CAPACITY when a
 * cache would exceed its capacity
 * @example
 * ```ts
 * const result = simulate({ ...CANONICAL, policy: "foresight" });
 * result.makespan; // seconds of simulated time
 * ```
 */
export function simulate(scenario: Scenario, options: SimOptions = {}): SimResult {
  const s = scenario;
  const lists = options.lists ??
    Array.from({ length: s.clients }, (_, c) => requestList(s.seed, c, s.files, s.requests));
  if (lists.length !== s.clients) {
    throw new ForesightError(
      "CONFIG",
      `Cannot simulate: ${lists.length} lists for ${s.clients} clients`,
    );
  }
  const size = (f: number) => f * 1024;
  const kib = (rate: number) => rate * 1024;
  const agenda = new EventQueue();
  const send = (run: () => void) => agenda.at(agenda.now, run);
  const capacity = s.capacityKiB * 1024;
  const toClient = lists.map(() => new Link(agenda, kib(s.rateOriginClient)));

  const caches: CacheState[] = Array.from({ length: s.caches }, (_, k) => {
    const stats: SimCache = {
      index: k,
      capacityBytes: capacity,
      peakBytes: 0,
      hits: 0,
      misses: 0,
      pushedFiles: 0,
      pushedBytes: 0,
      evicted: 0,
      bytesToClients: 0,
      heldAtEnd: 0,
    };
    const engine = new CacheEngine();
    engine.handle({ type: "registered", index: k, scenario: s, port: k, lists, size }, 0);
    return {
      engine,
      stats,
      arriving: new Map(),
      fromOrigin: new Link(agenda, kib(s.rateOriginCache)),
      toClient: lists.map(() => new Link(agenda, kib(s.rateCacheClient))),
    };
  });

  const clients: ClientState[] = lists.map((list, c) => ({
    engine: new ClientEngine({ scenario: s, list, size }),
    stats: {
      index: c,
      requested: list.length,
      files: 0,
      bytes: 0,
      finishSeconds: 0,
      hits: 0,
      misses: 0,
      fromOrigin: 0,
    },
  }));

  // ---- origin: the engine the live origin runs ----
  const originEngine = new OriginEngine(s, size);
  /** Hands `input` to the origin engine and carries out its effects. */
  const toOrigin = (input: OriginInput) => {
    for (const e of originEngine.handle(input, agenda.now)) carryOut(e);
  };
  const carryOut = (e: OriginEffect) => {
    switch (e.kind) {
      case "send":
        if (e.to.role === "cache") cacheMessage(e.to.index, e.message);
        else clientMessage(e.to.index, e.message);
        return;
      case "transfer": {
        const { file, count, next } = e;
        if (e.to.role === "client") {
          const c = e.to.index;
          toClient[c]!.send({
            size: size(file),
            onFinish: () => received(c, ORIGIN_SOURCE, file, "file"),
          });
          return;
        }
        const k = e.to.index;
        const cache = caches[k]!;
        cache.stats.pushedFiles++;
        cache.stats.pushedBytes += size(file);
        if (!cache.engine.warm) {
          // Warm-up pushes are applied before time 0 and take no time.
          warmFiles++;
          warmBytes += size(file);
          toCache(k, { type: "pushBegan", file, size: size(file), count, next, began: 0 });
          return;
        }
        cache.fromOrigin.send({
          size: size(file),
          onStart: (end) => {
            cache.arriving.set(file, end);
            toCache(k, {
              type: "pushBegan",
              file,
              size: size(file),
              count,
              next,
              began: agenda.now,
            });
          },
          onFinish: () => cache.arriving.delete(file),
        });
        return;
      }
      default:
        // Registration, reports, logs and the stop need nothing here.
        return;
    }
  };
  /** A message from the origin to cache `k` (control messages take no time). */
  const cacheMessage = (k: number, m: ControlMessage) => {
    switch (m.type) {
      case "start":
        send(() => toCache(k, { type: "started", next: m.next }));
        return;
      case "miss":
        send(() => toCache(k, { type: "declined", file: m.file, next: m.next ?? null }));
        return;
      case "release":
        send(() => toCache(k, { type: "released", client: m.client, files: m.files }));
        return;
    }
  };
  /** A message from the origin to client `c`. */
  const clientMessage = (c: number, m: ControlMessage) => {
    switch (m.type) {
      case "plan":
        toClientEngine(c, { type: "planned", routes: m.routes });
        return;
      case "start":
        send(() => toClientEngine(c, { type: "started" }));
        return;
      case "miss":
        send(() => toClientEngine(c, { type: "missed", source: ORIGIN_SOURCE, file: m.file }));
        return;
    }
  };

  // ---- caches: the engine the live cache runs ----
  /** Hands `input` to cache `k`'s engine and carries out its effects. */
  const toCache = (k: number, input: CacheInput) => {
    const cache = caches[k]!;
    for (const e of cache.engine.handle(input, agenda.now)) {
      switch (e.kind) {
        case "toOrigin": {
          const m = e.message;
          if (m.type === "start") send(() => toOrigin({ type: "warm", cache: k }));
          else send(() => toOrigin({ type: "refill", cache: k, file: m.file, at: m.at }));
          break;
        }
        case "hit": {
          const c = e.conn;
          const file = e.file;
          cache.toClient[c]!.send({
            size: size(file),
            readyAt: cache.arriving.get(file),
            onFinish: () => {
              cache.stats.bytesToClients += size(file);
              toCache(k, { type: "served", conn: c, file });
              received(c, k, file, "hit");
            },
          });
          break;
        }
        case "miss":
          send(() => toClientEngine(e.conn, { type: "missed", source: k, file: e.file }));
          break;
        case "evict":
          cache.arriving.delete(e.file);
          break;
      }
    }
  };

  // ---- clients: the engine the live client runs ----
  /** Hands `input` to client `c`'s engine and carries out its effects. */
  const toClientEngine = (c: number, input: ClientInput) => {
    const client = clients[c]!;
    for (const e of client.engine.handle(input, agenda.now)) {
      if (e.kind === "request") {
        const { source, file } = e;
        if (source === ORIGIN_SOURCE) send(() => toOrigin({ type: "request", client: c, file }));
        else send(() => toCache(source, { type: "requested", conn: c, client: c, file }));
      } else if (e.kind === "finished") {
        client.stats.finishSeconds = agenda.now;
        send(() => toOrigin({ type: "done", client: c }));
      }
    }
  };
  /**
   * Every byte of `file` from `source` is in (the simulator's bytes are
   * always right). The header and the last byte reach the engine together:
   * it only needs the header to check the file and date its next request
   * from the transfer's end, which is now.
   */
  const received = (c: number, source: Source, file: number, kind: "hit" | "file") => {
    clients[c]!.stats.bytes += size(file);
    const now = agenda.now;
    toClientEngine(c, { type: "fileBegan", source, file, size: size(file), kind, due: now });
    toClientEngine(c, { type: "fileEnded", source, file, ok: true });
  };

  // ---- registration, lists and warm-up (before time 0), then the start ----
  let warmFiles = 0;
  let warmBytes = 0;
  for (let k = 0; k < s.caches; k++) {
    toOrigin({ type: "join", role: "cache", index: k, host: "sim", port: k });
  }
  for (let c = 0; c < s.clients; c++) toOrigin({ type: "join", role: "client", index: c });
  for (let c = 0; c < s.clients; c++) toOrigin({ type: "list", client: c, files: lists[c]! });
  const maxSteps = options.maxSteps ?? 200_000_000;
  while (agenda.step()) {
    if (options.check) checkCaches(caches);
    if (agenda.taken > maxSteps) {
      throw new ForesightError(
        "INTERNAL",
        `Cannot finish the simulation: more than ${maxSteps} steps`,
      );
    }
  }
  for (const [c, client] of clients.entries()) {
    const n = client.engine.counters;
    Object.assign(client.stats, {
      files: n.files,
      hits: n.hits,
      misses: n.misses,
      fromOrigin: n.fromOrigin,
    });
    if (!client.engine.finished) {
      throw new ForesightError(
        "INTERNAL",
        `Cannot finish the simulation of policy "${s.policy}": client ${c} holds ${n.files} of ${client.stats.requested} files when nothing more can happen (t=${
          agenda.now.toFixed(3)
        } s)`,
      );
    }
  }

  let originToCache = warmBytes;
  let cacheToClient = 0;
  for (const cache of caches) {
    originToCache += cache.fromOrigin.bytes;
    for (const link of cache.toClient) cacheToClient += link.bytes;
    const store = cache.engine.store!;
    Object.assign(cache.stats, {
      peakBytes: store.peak,
      hits: cache.engine.hits,
      misses: cache.engine.misses,
      evicted: store.evicted,
      heldAtEnd: store.size,
    });
  }
  return {
    scenario: s,
    makespan: Math.max(0, ...clients.map((c) => c.stats.finishSeconds)),
    steps: agenda.taken,
    links: {
      originToCache,
      originToClient: toClient.reduce((a, l) => a + l.bytes, 0),
      cacheToClient,
    },
    warmup: { files: warmFiles, bytes: warmBytes },
    clients: clients.map((c) => c.stats),
    caches: caches.map((c) => c.stats),
    ledger: originEngine.st.ledger.totals(),
    ownerRaces: originEngine.summary.ownerRaces,
    redirects: originEngine.summary.redirects,
  };
}

function checkCaches(caches: readonly CacheState[]): void {
  for (const [k, cache] of caches.entries()) {
    const store = cache.engine.store!;
    let used = 0;
    for (const e of store.entries()) {
      if (!(e.count >= 0) || e.readers < 0) {
        throw new ForesightError(
          "INTERNAL",
          `Cannot keep cache ${k}'s invariants: file ${e.file} has count ${e.count}, readers ${e.readers}`,
        );
      }
      used += e.size;
    }
    if (used !== store.used || store.used > store.capacity) {
      throw new ForesightError(
        "INTERNAL",
        `Cannot keep cache ${k}'s invariants: ${store.used} bytes used (entries sum ${used}) of ${store.capacity}`,
      );
    }
  }
}
