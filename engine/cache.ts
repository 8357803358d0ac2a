/**
 * The cache engine: one cache's decisions as a state machine with no I/O
 * (see engine/effect.ts). Its driver feeds it what the origin said (a push
 * began, a refill was declined, the start, a release, the stop) and what
 * clients asked (a request on a connection, a hit sent, a connection gone);
 * it answers with effects: ask the origin for a file, stream a hit, send a
 * miss, free an evicted file's bytes, report, log.
 *
 * What it decides, once for the simulator and the live cache alike:
 * - what a request gets — the policy's hit, miss or wait; a waiting request
 *   is parked until the file's push begins or the origin declines it, then
 *   asked again, answered no earlier than the push began;
 * - one request at a time per connection, in order (a client keeps one
 *   outstanding per source; a request behind a hit waits for its `served`);
 * - refills, only once the origin's `start` ended the warm-up;
 * - a release: the requests a gone client was owed here and not served are
 *   forgone; a closed connection's parked and queued requests are dropped,
 *   so they never take a request owed to another;
 * - what is still owed at the stop.
 *
 * @module
 */

import type { CacheStore } from "../core/cache/cache_store.ts";
import { makeCachePolicy } from "../core/policies/policy_registry.ts";
import type { CachePolicy } from "../core/policies/policy.ts";
import { requestList, type Scenario } from "../core/run/scenario.ts";
import { ForesightError } from "../errors.ts";
import type {
  CacheEffect,
  CacheInput,
  CachePushBegan,
  CacheRegistered,
  CacheReleased,
  CacheRequested,
  CacheServed,
  CacheStarted,
} from "./cache_input.ts";

export type * from "./cache_input.ts";

/** No effects (shared: a list is made only when an input has some). */
const NONE = Object.freeze([]) as unknown as CacheEffect[];

interface Request {
  readonly conn: number;
  readonly client?: number | undefined;
  readonly file: number;
  readonly at?: number | undefined;
}

/** One connection: its requests in order; the one answered now (parked or streaming). */
interface Conn {
  readonly queue: Request[];
  current: Request | undefined;
  parked: boolean;
}

/**
 * One cache's decisions (see the module doc).
 *
 * @example
 * ```ts
 * const cache = new CacheEngine();
 * cache.handle({ type: "registered", index: 0, scenario: CANONICAL, port: 9001 }, 0);
 * cache.handle({ type: "pushBegan", file: 2, size: 2048, count: 1, next: null, began: 0 }, 0);
 * cache.handle({ type: "requested", conn: 1, file: 2 }, 5); // [{ kind: "hit", conn: 1, file: 2 }]
 * ```
 */
export class CacheEngine {
  #policy: CachePolicy | undefined;
  #scenario: Scenario | undefined;
  #index = -1;
  #warm = false;
  #stopped = false;
  #now = 0;
  #out: CacheEffect[] = NONE;
  /** When each held file's push began. */
  readonly #began = new Map<number, number>();
  /** Per client: the files it was served here (a release forgoes the others). */
  readonly #servedTo = new Map<number, Set<number>>();
  /** Per file: when this cache asked the origin for it (a refill not yet answered). */
  readonly #asked = new Map<number, number>();
  /** Per file: the requests parked until its push begins or is declined. */
  readonly #parked = new Map<number, Request[]>();
  readonly #conns = new Map<number, Conn>();

  /** This cache's index (-1 until registered). */
  get index(): number {
    return this.#index;
  }
  /** The run's scenario, once registered. */
  get scenario(): Scenario | undefined {
    return this.#scenario;
  }
  /** The files held, once registered. */
  get store(): CacheStore | undefined {
    return this.#policy?.store;
  }
  /** True once registered. */
  get registered(): boolean {
    return this.#policy !== undefined;
  }
  /** True once the origin's start arrived (refills may be asked for). */
  get warm(): boolean {
    return this.#warm;
  }
  /** True once stopped. */
  get stopped(): boolean {
    return this.#stopped;
  }
  /** Requests counted as hits so far. */
  get hits(): number {
    return this.#policy?.hits ?? 0;
  }
  /** Requests counted as misses so far. */
  get misses(): number {
    return this.#policy?.misses ?? 0;
  }
  /** Requests parked now, waiting for a push to begin or be declined. */
  get parked(): number {
    let n = 0;
    for (const list of this.#parked.values()) n += list.length;
    return n;
  }

  /**
   * Takes `input` at the driver's time `now`; returns the effects to carry out, in order.
   *
   * @throws {ForesightError} PROTOCOL (or CAPACITY for a push that does not
   * fit) on bad input, before any state changes
   */
  handle(input: CacheInput, now: number): CacheEffect[] {
    this.#now = now;
    this.#out = NONE;
    switch (input.type) {
      case "registered":
        this.#register(input);
        break;
      case "pushBegan":
        this.#pushBegan(input);
        break;
      case "declined": {
        this.#must("take a miss from the origin").declined(input.file, input.next);
        // The origin answers a refill at once in the model: the next one is
        // asked as of the declined one (live, the miss came behind a push).
        const asked = this.#asked.get(input.file);
        this.#asked.delete(input.file);
        this.#refill(asked);
        this.#wake(input.file);
        break;
      }
      case "started":
        this.#start(input);
        break;
      case "released":
        this.#release(input);
        break;
      case "requested":
        this.#requested(input);
        break;
      case "served":
        this.#served(input);
        break;
      case "connClosed":
        this.#closed(input.conn);
        break;
      case "stopped":
        this.#stop();
        break;
    }
    const out = this.#out;
    this.#out = NONE;
    return out;
  }

  /** Queues effects (the list is made at the first: most inputs have none). */
  #effect(effect: CacheEffect): void {
    // The first effect makes a list of one (an empty list's first push would reserve 17 slots).
    if (this.#out === NONE) this.#out = [effect];
    else this.#out.push(effect);
  }

  /** The policy, once registered; `what` (of `file`) names what could not be done before (the message is built only then). */
  #must(what: string, file?: number): CachePolicy {
    if (this.#policy === undefined) {
      const it = file === undefined ? what : `${what} ${file}`;
      throw new ForesightError("PROTOCOL", `Cannot ${it}: this cache is not registered yet`);
    }
    return this.#policy;
  }

  #register(input: CacheRegistered): void {
    if (this.#policy !== undefined) {
      throw new ForesightError(
        "PROTOCOL",
        `Cannot register as cache ${input.index}: already registered as cache ${this.#index}`,
      );
    }
    const s = input.scenario;
    this.#policy = makeCachePolicy(s, input.index, {
      // Belady reads the future from every client's list, derived as the clients derive them.
      lists: input.lists ??
        Array.from({ length: s.clients }, (_, c) => requestList(s.seed, c, s.files, s.requests)),
      size: input.size,
      onEvict: (file) => {
        this.#began.delete(file);
        this.#effect({ kind: "evict", file });
      },
    });
    this.#scenario = s;
    this.#index = input.index;
    this.#effect(
      {
        kind: "log",
        level: "info",
        message: "registered with origin",
        fields: { index: input.index },
      },
    );
    this.#effect({
      kind: "report",
      event: { event: "registered", index: input.index, port: input.port },
    });
  }

  #pushBegan(input: CachePushBegan): void {
    const policy = this.#must("take file", input.file);
    const { store } = policy;
    if (store.get(input.file)) {
      throw new ForesightError("PROTOCOL", `Cannot store file ${input.file}: it is already cached`);
    }
    if (!store.fits(input.size)) {
      throw new ForesightError(
        "CAPACITY",
        `Cannot store file ${input.file}: ${input.size} bytes do not fit in ${store.free} free of ${store.capacity}`,
      );
    }
    policy.pushed(input.file, input.size, input.count, input.next);
    this.#began.set(input.file, input.began);
    this.#asked.delete(input.file);
    // The header arrives as the push begins, in the model.
    this.#refill(input.began);
    this.#wake(input.file);
  }

  #start(input: CacheStarted): void {
    const policy = this.#must("start");
    this.#warm = true;
    // A cache that takes a lost one's place mid-run starts empty: the
    // origin's first hint comes with the start.
    if (input.next !== undefined) policy.hinted(input.next);
    this.#effect({ kind: "toOrigin", message: { type: "start" } });
    this.#effect({
      kind: "report",
      event: { event: "warm", files: policy.store.size, bytes: policy.store.used },
    });
    this.#refill();
  }

  #release(input: CacheReleased): void {
    const policy = this.#must("release a client");
    // Forgo the requests the origin's pushes carried for this client that it was not served.
    const got = this.#servedTo.get(input.client);
    let forgone = 0;
    for (const f of input.files) {
      if (got?.has(f) || !policy.store.get(f)) continue;
      policy.forgo(f);
      forgone++;
    }
    this.#effect({
      kind: "log",
      level: "info",
      message: "client released",
      fields: { client: input.client, forgone },
    });
    this.#refill();
  }

  #requested(input: CacheRequested): void {
    this.#must("serve file", input.file);
    const files = this.#scenario!.files;
    if (!Number.isInteger(input.file) || input.file > files) {
      throw new ForesightError(
        "PROTOCOL",
        `Cannot serve file ${input.file}: ids run from 1 to ${files}`,
      );
    }
    if (this.#stopped) return;
    let conn = this.#conns.get(input.conn);
    if (conn === undefined) {
      this.#conns.set(input.conn, conn = { queue: [], current: undefined, parked: false });
    }
    // Kept as it came (inputs are never modified): the request's fields are the input's.
    conn.queue.push(input);
    this.#pump(conn);
  }

  #served(input: CacheServed): void {
    this.#must("end serving file", input.file).served(input.file);
    // The room a hit frees is there when its transfer was due to end.
    this.#refill(input.due);
    const conn = this.#conns.get(input.conn);
    if (conn?.current?.file === input.file && !conn.parked) {
      conn.current = undefined;
      this.#pump(conn);
    }
  }

  #closed(id: number): void {
    const conn = this.#conns.get(id);
    if (conn === undefined) return;
    this.#conns.delete(id);
    const parked = conn.parked ? conn.current : undefined;
    if (parked === undefined) return;
    const list = this.#parked.get(parked.file) ?? [];
    const rest = list.filter((r) => r !== parked);
    if (rest.length > 0) this.#parked.set(parked.file, rest);
    else this.#parked.delete(parked.file);
    // The policy may hold something for it (a pull-through cache pins the file).
    this.#policy?.abandon?.(parked.file, parked.client);
    this.#refill();
  }

  #stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#parked.clear();
    this.#conns.clear();
    const store = this.#policy?.store;
    if (store === undefined) return;
    const owed = [...store.entries()].filter((e) => e.count > 0 && e.count !== Infinity);
    if (owed.length > 0) {
      this.#effect({
        kind: "log",
        level: "warn",
        message: "stopped with requests still owed",
        fields: { files: owed.slice(0, 20).map((e) => `${e.file}×${e.count}`).join(" ") },
      });
    }
  }

  /** Answers `conn`'s requests in order until one is parked or streaming. */
  #pump(conn: Conn): void {
    while (conn.current === undefined && conn.queue.length > 0) {
      this.#decide(conn, conn.queue.shift()!);
    }
  }

  #decide(conn: Conn, r: Request): void {
    const policy = this.#policy!;
    const outcome = policy.request(r.file, r.client, r.at);
    if (outcome === "hit") {
      if (r.client !== undefined) {
        let got = this.#servedTo.get(r.client);
        if (got === undefined) this.#servedTo.set(r.client, got = new Set());
        got.add(r.file);
      }
      conn.current = r;
      this.#effect({ kind: "hit", conn: r.conn, file: r.file, at: r.at });
    } else if (outcome === "wait") {
      conn.current = r;
      conn.parked = true;
      const list = this.#parked.get(r.file);
      if (list) list.push(r);
      else this.#parked.set(r.file, [r]);
    } else {
      this.#effect({ kind: "miss", conn: r.conn, file: r.file, at: r.at });
    }
    // A pull-through miss queues its origin fetch inside request(): ask for
    // it now, dated when the model makes the request (a live cache may come
    // to it later; the origin's link starts the fetch from then).
    this.#refill(r.at);
  }

  /**
   * Asks again the requests parked on `file` (its push began, or was
   * declined): each is answered when the push began (in the model, the header
   * arrives as the push starts), never before it was asked.
   */
  #wake(file: number): void {
    const list = this.#parked.get(file);
    if (list === undefined) return;
    this.#parked.delete(file);
    const began = this.#began.get(file) ?? this.#now;
    for (const r of list) {
      const conn = this.#conns.get(r.conn);
      if (conn?.current !== r) continue;
      conn.current = undefined;
      conn.parked = false;
      // Decided first, then whatever the connection queued behind it.
      const at = Math.max(r.at ?? 0, began);
      this.#decide(conn, { conn: r.conn, client: r.client, file: r.file, at });
      this.#pump(conn);
    }
  }

  /**
   * Asks the origin for the file the policy wants next, if any; never during
   * the warm-up. `at`: when, in the model, the event that allows it happened
   * (never later than now).
   */
  #refill(at?: number): void {
    if (this.#stopped || !this.#warm) return;
    const when = at === undefined ? this.#now : Math.min(at, this.#now);
    const want = this.#policy!.refill(when);
    if (want !== null) {
      this.#asked.set(want, when);
      this.#effect({ kind: "toOrigin", message: { type: "request", file: want, at: when } });
    }
  }
}
