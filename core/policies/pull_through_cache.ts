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

import { CacheStore } from "../cache/cache_store.ts";
import type { Eviction, SizeOf } from "../eviction/eviction.ts";
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
  /** Per file: the clients (-1: unknown) whose request is parked for it (pins it once held). */
  readonly #promised = new Map<number, number[]>();
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
  constructor(
    capacity: number,
    size: SizeOf,
    eviction: Eviction,
    options: PullThroughOptions = {},
  ) {
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
    const who = client ?? -1;
    const parked = this.#promised.get(file);
    const held = this.store.get(file) !== undefined;
    // A parked request coming back (the file's push began, or was declined) is
    // the same request: counted, and seen by the eviction, when it parked.
    const returning = parked !== undefined && (held || this.#refused.has(file)) &&
      this.#unpark(file, parked, who);
    if (!returning) this.#eviction.requested(file, client);
    if (held) {
      if (!returning) this.#hits++;
      this.store.beginRead(file);
      return "hit";
    }
    if (this.#refused.has(file) || this.#size(file) > this.store.capacity) {
      if (!returning) this.#misses++;
      return "miss";
    }
    if (parked) parked.push(who);
    else this.#promised.set(file, [who]);
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

  forgo(file: number): void {
    this.store.forgo(file);
  }

  /** A parked request will not come back: the file is no longer pinned for it. */
  abandon(file: number, client?: number): void {
    const parked = this.#promised.get(file);
    if (parked) this.#unpark(file, parked, client ?? -1);
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

  /** Pull-through caches ask for what their clients miss: no hints. */
  hinted(_next: number | null): void {}

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

  /** Takes `client`'s parked request for `file` (any one when the client is unknown); false when it has none. */
  #unpark(file: number, parked: number[], client: number): boolean {
    let i = parked.indexOf(client);
    if (i < 0 && client === -1) i = 0;
    if (i < 0) return false;
    parked.splice(i, 1);
    if (parked.length === 0) this.#promised.delete(file);
    return true;
  }
}
