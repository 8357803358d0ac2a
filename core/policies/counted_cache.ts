/**
 * A cache's decisions under origin-driven policies (seed, foresight): what a
 * client request gets (hit, wait for a file on its way, or miss) and when to
 * ask the origin for the next file it hints.
 *
 * A request for a file whose refill this cache has asked for but not yet
 * received *waits*: it is answered when the push arrives (as a hit, streamed
 * while the bytes still arrive) or when the origin declines (as a miss). A
 * request for a file the cache neither holds nor awaits is a miss at once,
 * unless the cache was built with `waitForPushes` (foresight: the origin
 * routes a client to a cache only for files it will push there, so such a
 * request waits for the push).
 *
 * @module
 */

import { CacheStore } from "../cache/cache_store.ts";
import type { CachePolicy, RequestOutcome } from "./policy.ts";

export type { RequestOutcome } from "./policy.ts";

/** Options of a {@link CountedCache}. */
export interface CountedCacheOptions {
  /** Park a request for a file neither held nor pending until its push begins (default false). */
  readonly waitForPushes?: boolean;
  /** Called with every evicted file (the live cache frees its bytes). */
  readonly onEvict?: (file: number) => void;
}

/**
 * The refill and request logic of one cache, over its {@link CacheStore}.
 *
 * @example
 * ```ts
 * const brain = new CountedCache(25 * 1024 * 1024, (f) => f * 1024);
 * brain.pushed(1, 1024, 1, 3);
 * brain.refill(); // 3: ask the origin for file 3
 * ```
 */
export class CountedCache implements CachePolicy {
  /** The store of held files. */
  readonly store: CacheStore;
  readonly #size: (file: number) => number;
  readonly #waitForPushes: boolean;
  #hint: number | null = null;
  #pending: number | null = null;
  /** When the pending refill was asked for. */
  #pendingSince = -Infinity;
  #hits = 0;
  #misses = 0;

  /**
   * @param capacity bytes
   * @param size a file's size in bytes
   * @param options see {@link CountedCacheOptions}
   */
  constructor(capacity: number, size: (file: number) => number, options: CountedCacheOptions = {}) {
    this.store = new CacheStore(capacity, { onEvict: options.onEvict });
    this.#size = size;
    this.#waitForPushes = options.waitForPushes ?? false;
  }

  /** Hits answered so far. */
  get hits(): number {
    return this.#hits;
  }
  /** Misses answered so far. */
  get misses(): number {
    return this.#misses;
  }
  /** The refill asked for and not yet answered, if any. */
  get pending(): number | null {
    return this.#pending;
  }

  /** A push from the origin begins: reserve its space (throws CAPACITY when it does not fit). */
  pushed(file: number, size: number, count: number, next: number | null): void {
    if (this.#pending === file) this.#pending = null;
    this.#hint = next;
    this.store.reserve(file, size, count);
  }

  /** The origin declined the refill of `file`; `next` is its new hint. */
  declined(file: number, next: number | null): void {
    if (this.#pending === file) this.#pending = null;
    this.#hint = next;
  }

  hinted(next: number | null): void {
    this.#hint = next;
  }

  /**
   * Classifies a client's request, and on a hit takes one from the file's
   * count (call {@link served} after sending). A request made (`at`) before
   * this cache asked for the file it awaits is not one for a file on its
   * way: in the model it came first, and missed.
   */
  request(file: number, _client?: number, at?: number): RequestOutcome {
    const entry = this.store.get(file);
    if (entry && entry.count > 0) {
      this.store.beginRead(file);
      this.#hits++;
      return "hit";
    }
    const awaited = this.#pending === file && !(at !== undefined && at < this.#pendingSince);
    if (awaited || (this.#waitForPushes && !entry)) return "wait";
    this.#misses++;
    return "miss";
  }

  /** A hit has been sent in full (or abandoned); the file may now be evicted. */
  served(file: number): boolean {
    return this.store.endRead(file);
  }

  forgo(file: number): void {
    this.store.forgo(file);
  }

  /** The file to ask the origin for now (`now`: when, in the driver's time), if any (marks it pending). */
  refill(now?: number): number | null {
    if (this.#pending !== null || this.#hint === null) return null;
    if (this.store.get(this.#hint)) return null;
    if (!this.store.fits(this.#size(this.#hint))) return null;
    this.#pending = this.#hint;
    this.#pendingSince = now ?? -Infinity;
    return this.#pending;
  }
}
