/**
 * A classic pull-through cache (nginx, Varnish): a request for a held file
 * is a hit; any other request makes the cache fetch the file from the origin
 * and stream it on while it arrives (the request waits for the push to
 * begin). Concurrent misses for one file share one fetch. Room for a fetch is
 * made when it is requested, by evicting unpinned files in the order an
 * {@link Eviction} chooses (LRU, Belady). A file is pinned while read or
 * while a parked request waits for it. A file larger than the whole cache is
 * a miss at once (the client fetches it from the origin).
 *
 * Counting: a request that makes the cache fetch is a miss; one that finds
 * the file held, or joins a fetch already on its way, is a hit.
 *
 * @module
 */

import { CacheStore } from "./cache_store.ts";
import type { Eviction, SizeOf } from "./eviction.ts";
import type { CachePolicy, RequestOutcome } from "./policy.ts";

/** Options of a {@link PullThroughCache}. */
export interface PullThroughOptions {
  /** Called with every evicted file (the live cache frees its bytes). */
  readonly onEvict?: (file: number) => void;
}

/**
 * Pull-through cache logic over a {@link CacheStore}; files never leave by
 * count (their count is Infinity), only by eviction.
 *
 * @example
 * ```ts
 * const cache = new PullThroughCache(4096, (f) => f * 1024, new LruEviction());
 * cache.request(3); // "wait": a miss, fetch queued
 * cache.refill(); // 3: ask the origin for it
 * cache.pushed(3, 3072, 0, null);
 * cache.request(3); // "hit": the parked request, now served
 * ```
 */
export class PullThroughCache implements CachePolicy {
  /** The store of held files. */
  readonly store: CacheStore;
  readonly #size: SizeOf;
  readonly #eviction: Eviction;
  /** Misses to fetch, oldest first. */
  readonly #queue: number[] = [];
  #queueHead = 0;
  readonly #queued = new Set<number>();
  /** Parked requests per file (pins it once held). */
  readonly #promised = new Map<number, number>();
  /** Files the origin declined: later requests for them miss. */
  readonly #refused = new Set<number>();
  #pending: number | null = null;
  #hits = 0;
  #misses = 0;

  /**
   * @param capacity bytes
   * @param size a file's size in bytes
   * @param eviction the victim choice
   * @param options see {@link PullThroughOptions}
   */
  constructor(capacity: number, size: SizeOf, eviction: Eviction, options: PullThroughOptions = {}) {
    this.#size = size;
    this.#eviction = eviction;
    this.store = new CacheStore(capacity, {
      onEvict: (file) => {
        eviction.removed(file);
        options.onEvict?.(file);
      },
    });
  }

  /** Hits so far (held, or joined a fetch on its way). */
  get hits(): number {
    return this.#hits;
  }
  /** Misses so far (fetched for the request, or too large to cache). */
  get misses(): number {
    return this.#misses;
  }
  /** The fetch asked of the origin and not yet begun, if any. */
  get pending(): number | null {
    return this.#pending;
  }

  request(file: number, client?: number): RequestOutcome {
    const waiting = this.#promised.get(file) ?? 0;
    const held = this.store.get(file) !== undefined;
    const returning = waiting > 0 && (held || this.#refused.has(file));
    // A parked request coming back is the same request: the eviction has seen it.
    if (!returning) this.#eviction.requested(file, client);
    if (held) {
      // A parked request coming back was counted when it parked.
      if (waiting > 0) this.#unpark(file, waiting);
      else this.#hits++;
      this.store.beginRead(file);
      return "hit";
    }
    if (this.#refused.has(file) || this.#size(file) > this.store.capacity) {
      if (waiting > 0) this.#unpark(file, waiting);
      else this.#misses++;
      return "miss";
    }
    this.#promised.set(file, waiting + 1);
    if (this.#pending === file || this.#queued.has(file)) {
      this.#hits++;
    } else {
      this.#misses++;
      this.#queue.push(file);
      this.#queued.add(file);
    }
    return "wait";
  }

  served(file: number): boolean {
    return this.store.endRead(file);
  }

  pushed(file: number, size: number, _count: number, _next: number | null): void {
    if (this.#pending === file) this.#pending = null;
    this.store.reserve(file, size, Infinity);
    this.#eviction.admitted(file);
  }

  declined(file: number, _next: number | null): void {
    if (this.#pending === file) this.#pending = null;
    this.#refused.add(file);
  }

  /** Makes room for the oldest queued miss and returns it, or null (nothing queued, a fetch pending, or no room yet). */
  refill(): number | null {
    if (this.#pending !== null || this.#queueHead >= this.#queue.length) return null;
    const file = this.#queue[this.#queueHead]!;
    const size = this.#size(file);
    while (!this.store.fits(size)) {
      const victim = this.#eviction.victim((f) => this.#evictable(f));
      if (victim === undefined) return null;
      this.store.evict(victim);
    }
    this.#queueHead++;
    if (this.#queueHead > 1024 && this.#queueHead * 2 > this.#queue.length) {
      this.#queue.splice(0, this.#queueHead);
      this.#queueHead = 0;
    }
    this.#queued.delete(file);
    this.#pending = file;
    return file;
  }

  #evictable(file: number): boolean {
    const entry = this.store.get(file);
    return entry !== undefined && entry.readers === 0 && !this.#promised.has(file);
  }

  #unpark(file: number, waiting: number): void {
    if (waiting > 1) this.#promised.set(file, waiting - 1);
    else this.#promised.delete(file);
  }
}
