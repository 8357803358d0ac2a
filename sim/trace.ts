/**
 * Replays one request sequence through a cache policy, each request served
 * in full before the next (no concurrency): the setting of textbook paging
 * examples, for checking eviction policies by hand.
 *
 * @module
 */

import { ForesightError } from "../errors.ts";
import type { CachePolicy } from "../core/policies/policy.ts";

/** Counts of a replay. */
export interface TraceResult {
  hits: number;
  misses: number;
  /** Files evicted, in order. */
  evicted: number[];
}

/**
 * Replays `trace` through `cache`: a request that waits has its fetch
 * granted and pushed at once, then is asked again; every hit is served
 * before the next request. Build the cache with an `onEvict` that pushes to
 * `evicted` to see the evictions.
 *
 * @throws {ForesightError} INTERNAL when the cache waits for a file it does not fetch
 * @example
 * ```ts
 * const evicted: number[] = [];
 * const cache = new PullThroughCache(2, () => 1, new LruEviction(), { onEvict: (f) => evicted.push(f) });
 * replayTrace(cache, [1, 2, 1, 3], () => 1, evicted); // 3 misses, 1 hit; evicted [2]
 * ```
 */
export function replayTrace(
  cache: CachePolicy,
  trace: readonly number[],
  size: (file: number) => number,
  evicted: number[] = [],
): TraceResult {
  for (const file of trace) {
    let outcome = cache.request(file);
    if (outcome === "wait") {
      const want = cache.refill();
      if (want !== file) {
        throw new ForesightError(
          "INTERNAL",
          `Cannot replay file ${file}: the cache fetches ${want} instead`,
        );
      }
      cache.pushed(file, size(file), 0, null);
      outcome = cache.request(file);
    }
    if (outcome === "hit") cache.served(file);
  }
  return { hits: cache.hits, misses: cache.misses, evicted };
}
