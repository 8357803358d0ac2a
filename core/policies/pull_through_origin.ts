/**
 * Origin side of the pull-through policies (`lru`, `belady`): no warm-up, no
 * hints, no routes; every fetch a cache asks for in its own shard is granted,
 * and no demand travels with it (a pull-through cache owns none).
 *
 * @module
 */

import type { OriginPolicy, Push } from "./policy.ts";
import { shardOf } from "../run/scenario.ts";

/**
 * Grants each cache the files of its shard, as often as it asks.
 *
 * @example
 * ```ts
 * const origin = new PullThroughOrigin({ caches: 2, files: 10 });
 * origin.grant(1, 7); // true: 7 is odd, cache 1's shard
 * origin.pushCount(); // 0
 * ```
 */
export class PullThroughOrigin implements OriginPolicy {
  readonly #caches: number;
  readonly #files: number;

  /** @param scenario the number of caches and of files */
  constructor(scenario: { readonly caches: number; readonly files: number }) {
    this.#caches = scenario.caches;
    this.#files = scenario.files;
  }

  warmup(): Push[] {
    return [];
  }

  hint(): null {
    return null;
  }

  grant(cache: number, file: number): boolean {
    return Number.isInteger(file) && file >= 1 && file <= this.#files &&
      shardOf(file, this.#caches) === cache;
  }

  routes(): undefined {
    return undefined;
  }

  pushCount(): number {
    return 0;
  }
}
