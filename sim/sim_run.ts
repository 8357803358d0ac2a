/**
 * One simulated run: the three engines the live roles run (origin, caches,
 * clients), an event queue and a link per directed connection. This class
 * only moves messages (each a step of its own, taking no time) and transfers
 * (over the links) between the engines; every decision is an engine's.
 *
 * @module
 */

import { ForesightError } from "../errors.ts";
import { CacheEngine, type CacheInput } from "../engine/cache.ts";
import { ClientEngine, type ClientInput } from "../engine/client.ts";
import { type OriginEffect, OriginEngine, type OriginInput } from "../engine/origin.ts";
import type { ControlMessage } from "../protocol/control_message.ts";
import { ORIGIN_SOURCE, type Source } from "../core/policies/policy.ts";
import { kibSize, type Scenario } from "../core/run/scenario.ts";
import { EventQueue, type Receiver } from "./event_queue.ts";
import { Link, type LinkSink, type Transfer } from "./link.ts";
import type { SimCache, SimClient } from "./sim_result.ts";

/** A simulated cache: its engine, its links, its figures. */
export interface SimCacheState {
  readonly engine: CacheEngine;
  readonly stats: SimCache;
  /** Files still arriving → the moment their push ends. */
  readonly arriving: Map<number, number>;
  readonly fromOrigin: Link<SimTransfer>;
  readonly toClient: Link<SimTransfer>[];
}

/** What a simulated link carries: a file from the origin to a client, a push, or a hit. */
export interface SimTransfer extends Transfer {
  readonly kind: "serve" | "push" | "hit";
  /** The cache pushed into (push) or serving (hit); -1 for a file from the origin. */
  readonly cache: number;
  /** The client served (serve, hit); -1 for a push. */
  readonly client: number;
  readonly file: number;
  /** A push's request count and the origin's next hint. */
  readonly count: number;
  readonly next: number | null;
}

/** The agenda's events for the engines: a message (an input) to the origin, a cache or a client. */
const TO_ORIGIN = 0;
const TO_CACHE = 1;
const TO_CLIENT = 2;

/** A simulated client: its engine and its figures. */
export interface SimClientState {
  readonly engine: ClientEngine;
  readonly stats: SimClient;
}

/**
 * The engines of one run wired by an event queue and links.
 *
 * @example
 * ```ts
 * const run = new SimRun(CANONICAL, lists);
 * run.begin();
 * while (run.agenda.step()) {}
 * ```
 */
export class SimRun implements Receiver, LinkSink<SimTransfer> {
  readonly agenda: EventQueue = new EventQueue();
  readonly origin: OriginEngine;
  readonly caches: readonly SimCacheState[];
  readonly clients: readonly SimClientState[];
  /** Origin → client links. */
  readonly toClient: readonly Link<SimTransfer>[];
  /** Files and bytes pushed before time 0. */
  readonly warmup: { files: number; bytes: number } = { files: 0, bytes: 0 };
  readonly #s: Scenario;
  readonly #lists: readonly (readonly number[])[];
  readonly #size: (file: number) => number;

  /**
   * @param s the scenario
   * @param lists one request list per client
   * @param size a file's bytes (default: file n is n KiB)
   */
  constructor(
    s: Scenario,
    lists: readonly (readonly number[])[],
    size: (file: number) => number = kibSize,
  ) {
    this.#s = s;
    this.#lists = lists;
    this.#size = size;
    const kib = (rate: number) => rate * 1024;
    this.origin = new OriginEngine(s, size);
    this.toClient = lists.map(() => new Link(this.agenda, kib(s.rateOriginClient), this));
    this.caches = Array.from({ length: s.caches }, (_, k) => {
      const engine = new CacheEngine();
      engine.handle({ type: "registered", index: k, scenario: s, port: k, lists, size }, 0);
      return {
        engine,
        stats: cacheStats(k, s.capacityKiB * 1024),
        arriving: new Map(),
        fromOrigin: new Link(this.agenda, kib(s.rateOriginCache), this),
        toClient: lists.map(() => new Link(this.agenda, kib(s.rateCacheClient), this)),
      };
    });
    this.clients = lists.map((list, c) => ({
      engine: new ClientEngine({ scenario: s, list, size }),
      stats: clientStats(c, list.length),
    }));
  }

  /** Every cache and client registers and sends its list (before time 0): the warm-up follows. */
  begin(): void {
    for (let k = 0; k < this.#s.caches; k++) {
      this.#toOrigin({ type: "join", role: "cache", index: k, host: "sim", port: k });
    }
    for (let c = 0; c < this.#s.clients; c++) {
      this.#toOrigin({ type: "join", role: "client", index: c });
    }
    for (let c = 0; c < this.#s.clients; c++) {
      this.#toOrigin({ type: "list", client: c, files: this.#lists[c]! });
    }
  }

  /** Hands `input` to the origin as a step of its own, now (a control message takes no time). */
  #soonOrigin(input: OriginInput): void {
    this.agenda.post(this.agenda.now, this, TO_ORIGIN, 0, input);
  }
  /** Hands `input` to cache `k` as a step of its own, now. */
  #soonCache(k: number, input: CacheInput): void {
    this.agenda.post(this.agenda.now, this, TO_CACHE, k, input);
  }
  /** Hands `input` to client `c` as a step of its own, now. */
  #soonClient(c: number, input: ClientInput): void {
    this.agenda.post(this.agenda.now, this, TO_CLIENT, c, input);
  }

  /** The agenda's events: a message reaches an engine. */
  take(code: number, index: number, arg: unknown): void {
    if (code === TO_CACHE) this.#toCache(index, arg as CacheInput);
    else if (code === TO_CLIENT) this.#toClient(index, arg as ClientInput);
    else this.#toOrigin(arg as OriginInput);
  }

  /** A push began on an origin → cache link: its header reaches the cache. */
  began(t: SimTransfer, finish: number): void {
    const k = t.cache;
    this.caches[k]!.arriving.set(t.file, finish);
    const { file, size, count, next } = t;
    this.#toCache(k, { type: "pushBegan", file, size, count, next, began: this.agenda.now });
  }

  /** A transfer's last byte arrived. */
  delivered(t: SimTransfer): void {
    if (t.kind === "serve") this.#received(t.client, ORIGIN_SOURCE, t.file, "file");
    else if (t.kind === "push") this.caches[t.cache]!.arriving.delete(t.file);
    else {
      const k = t.cache;
      this.caches[k]!.stats.bytesToClients += t.size;
      this.#toCache(k, { type: "served", conn: t.client, file: t.file });
      this.#received(t.client, k, t.file, "hit");
    }
  }

  // ---- origin ----

  /** Hands `input` to the origin engine and carries out its effects. */
  #toOrigin(input: OriginInput): void {
    // Indexed loops: iterating with for-of allocates an iterator per message.
    const effects = this.origin.handle(input, this.agenda.now);
    for (let i = 0; i < effects.length; i++) {
      const e = effects[i]!;
      if (e.kind === "send") {
        if (e.to.role === "cache") this.#cacheMessage(e.to.index, e.message);
        else this.#clientMessage(e.to.index, e.message);
      } else if (e.kind === "transfer") {
        if (e.to.role === "client") this.#serve(e.to.index, e.file);
        else this.#push(e.to.index, e);
      }
      // Registration, reports, logs and the stop need nothing here.
    }
  }

  /** The origin sends client `c` a file. */
  #serve(c: number, file: number): void {
    this.toClient[c]!.send({
      kind: "serve",
      size: this.#size(file),
      cache: -1,
      client: c,
      file,
      count: 0,
      next: null,
    });
  }

  /** The origin pushes a file into cache `k`: before its start, at once (the warm-up). */
  #push(k: number, e: Extract<OriginEffect, { kind: "transfer" }>): void {
    const { file, count, next } = e;
    const cache = this.caches[k]!;
    const size = this.#size(file);
    cache.stats.pushedFiles++;
    cache.stats.pushedBytes += size;
    if (!cache.engine.warm) {
      // Warm-up pushes are applied before time 0 and take no time.
      this.warmup.files++;
      this.warmup.bytes += size;
      this.#toCache(k, { type: "pushBegan", file, size, count, next, began: 0 });
      return;
    }
    cache.fromOrigin.send({
      kind: "push",
      size,
      announce: true,
      cache: k,
      client: -1,
      file,
      count,
      next,
    });
  }

  /** A message from the origin to cache `k`. */
  #cacheMessage(k: number, m: ControlMessage): void {
    if (m.type === "start") this.#soonCache(k, { type: "started", next: m.next });
    else if (m.type === "miss") {
      this.#soonCache(k, { type: "declined", file: m.file, next: m.next ?? null });
    } else if (m.type === "release") {
      this.#soonCache(k, { type: "released", client: m.client, files: m.files });
    }
  }

  /** A message from the origin to client `c`. */
  #clientMessage(c: number, m: ControlMessage): void {
    if (m.type === "plan") this.#toClient(c, { type: "planned", routes: m.routes });
    else if (m.type === "start") this.#soonClient(c, { type: "started" });
    else if (m.type === "miss") {
      this.#soonClient(c, { type: "missed", source: ORIGIN_SOURCE, file: m.file });
    }
  }

  // ---- caches ----

  /** Hands `input` to cache `k`'s engine and carries out its effects. */
  #toCache(k: number, input: CacheInput): void {
    const cache = this.caches[k]!;
    const effects = cache.engine.handle(input, this.agenda.now);
    for (let i = 0; i < effects.length; i++) {
      const e = effects[i]!;
      switch (e.kind) {
        case "toOrigin": {
          const m = e.message;
          this.#soonOrigin(
            m.type === "start"
              ? { type: "warm", cache: k }
              : { type: "refill", cache: k, file: m.file, at: m.at },
          );
          break;
        }
        case "hit":
          this.#hit(k, e.conn, e.file);
          break;
        case "miss":
          this.#soonClient(e.conn, { type: "missed", source: k, file: e.file });
          break;
        case "evict":
          cache.arriving.delete(e.file);
          break;
      }
    }
  }

  /** Cache `k` sends client `c` a file (forwarding it while it may still arrive). */
  #hit(k: number, c: number, file: number): void {
    const cache = this.caches[k]!;
    cache.toClient[c]!.send({
      kind: "hit",
      size: this.#size(file),
      readyAt: cache.arriving.get(file),
      cache: k,
      client: c,
      file,
      count: 0,
      next: null,
    });
  }

  // ---- clients ----

  /** Hands `input` to client `c`'s engine and carries out its effects. */
  #toClient(c: number, input: ClientInput): void {
    const client = this.clients[c]!;
    const effects = client.engine.handle(input, this.agenda.now);
    for (let i = 0; i < effects.length; i++) {
      const e = effects[i]!;
      if (e.kind === "request") {
        const { source, file } = e;
        if (source === ORIGIN_SOURCE) {
          this.#soonOrigin({ type: "request", client: c, file });
        } else {
          this.#soonCache(source, { type: "requested", conn: c, client: c, file });
        }
      } else if (e.kind === "finished") {
        client.stats.finishSeconds = this.agenda.now;
        this.#soonOrigin({ type: "done", client: c });
      }
    }
  }

  /**
   * Every byte of `file` from `source` is in (the simulator's bytes are
   * always right). The header and the last byte reach the engine together:
   * it only needs the header to check the file and date its next request
   * from the transfer's end, which is now.
   */
  #received(c: number, source: Source, file: number, kind: "hit" | "file"): void {
    const size = this.#size(file);
    this.clients[c]!.stats.bytes += size;
    const due = this.agenda.now;
    this.#toClient(c, { type: "file", source, file, size, kind, due, ok: true });
  }

  /**
   * Fills in each client's and cache's figures at the end.
   *
   * @throws {ForesightError} INTERNAL when a client does not hold all its files
   */
  finish(): void {
    for (const [c, client] of this.clients.entries()) {
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
          `Cannot finish the simulation of policy "${this.#s.policy}": client ${c} holds ${n.files} of ${client.stats.requested} files when nothing more can happen (t=${
            this.agenda.now.toFixed(3)
          } s)`,
        );
      }
    }
    for (const cache of this.caches) {
      const store = cache.engine.store!;
      Object.assign(cache.stats, {
        peakBytes: store.peak,
        hits: cache.engine.hits,
        misses: cache.engine.misses,
        evicted: store.evicted,
        heldAtEnd: store.size,
      });
    }
  }
}

function cacheStats(index: number, capacityBytes: number): SimCache {
  return {
    index,
    capacityBytes,
    peakBytes: 0,
    hits: 0,
    misses: 0,
    pushedFiles: 0,
    pushedBytes: 0,
    evicted: 0,
    bytesToClients: 0,
    heldAtEnd: 0,
  };
}

function clientStats(index: number, requested: number): SimClient {
  return {
    index,
    requested,
    files: 0,
    bytes: 0,
    finishSeconds: 0,
    hits: 0,
    misses: 0,
    fromOrigin: 0,
  };
}
