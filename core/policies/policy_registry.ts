/**
 * The policy registry: a scenario's policy name → its origin, cache and
 * client sides. The simulator and the live roles both build every policy
 * from here, so each algorithm has one implementation.
 *
 * @module
 */

import { BeladyEviction } from "../eviction/belady_eviction.ts";
import { CountedCache } from "./counted_cache.ts";
import { ForesightOrigin } from "./foresight_origin.ts";
import { LruEviction } from "../eviction/lru_eviction.ts";
import { ListsNextUse } from "../eviction/next_use.ts";
import { ParallelClient } from "./parallel_client.ts";
import type { CachePolicy, ClientPolicy, OriginPolicy, OriginView } from "./policy.ts";
import { PullThroughCache } from "./pull_through_cache.ts";
import { PullThroughOrigin } from "./pull_through_origin.ts";
import { type Scenario, shardOf } from "../run/scenario.ts";
import { NoCacheOrigin, SeedOrigin, SequentialClient } from "./seed_policy.ts";

/**
 * Link rates of `scenario` in bytes per second of simulated time.
 *
 * @example
 * ```ts
 * byteRates(CANONICAL).originClient; // 1_024_000
 * ```
 */
export function byteRates(scenario: Scenario): {
  originClient: number;
  originCache: number;
  cacheClient: number;
} {
  return {
    originClient: scenario.rateOriginClient * 1024,
    originCache: scenario.rateOriginCache * 1024,
    cacheClient: scenario.rateCacheClient * 1024,
  };
}

/**
 * The origin side of `scenario.policy`.
 *
 * @example
 * ```ts
 * const origin = makeOriginPolicy({ ...CANONICAL, policy: "lru" }, view);
 * ```
 */
export function makeOriginPolicy(
  scenario: Scenario,
  view: OriginView,
): OriginPolicy {
  switch (scenario.policy) {
    case "seed":
      return new SeedOrigin(view);
    case "nocache":
      return new NoCacheOrigin();
    case "lru":
    case "belady":
      return new PullThroughOrigin(scenario);
    case "foresight":
      return new ForesightOrigin(view, byteRates(scenario));
  }
}

/**
 * The client side of `scenario.policy` for one client's `list`.
 *
 * @example
 * ```ts
 * const client = makeClientPolicy(CANONICAL, requestList(1, 0, 10_000, 1_000));
 * ```
 */
export function makeClientPolicy(
  scenario: Scenario,
  list: readonly number[],
): ClientPolicy {
  switch (scenario.policy) {
    case "seed":
      return new SequentialClient(list, scenario.caches);
    case "nocache":
      return new SequentialClient(list, 0);
    case "lru":
    case "belady":
    case "foresight":
      return new ParallelClient(list, scenario.caches);
  }
}

/** What a cache policy is built from. */
export interface CachePolicyOptions {
  /** Every client's request list (Belady reads the future from them). */
  readonly lists: readonly (readonly number[])[];
  /** A file's size in bytes (default: file n is n KiB). */
  readonly size?: (file: number) => number;
  /** Called with every evicted file (the live cache frees its bytes). */
  readonly onEvict?: (file: number) => void;
}

/**
 * The cache side of `scenario.policy` for cache `index`.
 *
 * @example
 * ```ts
 * const cache = makeCachePolicy(scenario, 0, { lists, onEvict: (f) => buffers.delete(f) });
 * ```
 */
export function makeCachePolicy(
  scenario: Scenario,
  index: number,
  options: CachePolicyOptions,
): CachePolicy {
  const capacity = scenario.capacityKiB * 1024;
  const size = options.size ?? ((f: number) => f * 1024);
  const onEvict = options.onEvict;
  switch (scenario.policy) {
    case "seed":
    case "nocache":
      return new CountedCache(capacity, size, { onEvict });
    case "foresight":
      return new CountedCache(capacity, size, { onEvict, waitForPushes: true });
    case "lru":
      return new PullThroughCache(capacity, size, new LruEviction(), { onEvict });
    case "belady": {
      // What each client will ask this cache for, in its order (ParallelClient: ascending).
      const orders = options.lists.map((list) =>
        [...list].filter((f) => shardOf(f, scenario.caches) === index && size(f) <= capacity)
          .sort((a, b) => a - b)
      );
      return new PullThroughCache(
        capacity,
        size,
        new BeladyEviction(new ListsNextUse(orders, size)),
        { onEvict },
      );
    }
  }
}
