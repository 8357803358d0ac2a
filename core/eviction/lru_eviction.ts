/**
 * Least-recently-used eviction: the held file whose last request (or
 * arrival) is the oldest goes first.
 *
 * @module
 */

import type { Eviction } from "./eviction.ts";

/**
 * LRU victim choice over a recency-ordered map (oldest first).
 *
 * @example
 * ```ts
 * const lru = new LruEviction();
 * lru.admitted(1); lru.admitted(2); lru.requested(1);
 * lru.victim(() => true); // 2
 * ```
 */
export class LruEviction implements Eviction {
  /** Held files, least recently used first (Map keeps insertion order). */
  readonly #order = new Map<number, true>();

  requested(file: number): void {
    if (!this.#order.delete(file)) return;
    this.#order.set(file, true);
  }

  admitted(file: number): void {
    this.#order.delete(file);
    this.#order.set(file, true);
  }

  removed(file: number): void {
    this.#order.delete(file);
  }

  victim(evictable: (file: number) => boolean): number | undefined {
    for (const file of this.#order.keys()) if (evictable(file)) return file;
    return undefined;
  }
}
