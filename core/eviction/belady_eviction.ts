/**
 * Belady's clairvoyant eviction: the held file whose next request is the
 * farthest away goes first (files no one will ask for again before any
 * other), with the future read from a {@link NextUse} oracle.
 *
 * @module
 */

import type { Eviction } from "./eviction.ts";
import type { NextUse } from "./next_use.ts";

/**
 * Farthest-next-use victim choice; ties go to the larger file id (in Foresight
 * scenarios the larger file, which frees the most room).
 *
 * @example
 * ```ts
 * const belady = new BeladyEviction(new TraceNextUse([1, 2, 3, 1]));
 * belady.requested(1); belady.admitted(1);
 * belady.requested(2); belady.admitted(2);
 * belady.victim(() => true); // 2: never asked for again (1 is, in 2 requests)
 * ```
 */
export class BeladyEviction implements Eviction {
  readonly #next: NextUse;
  readonly #held = new Set<number>();

  /** @param next the oracle of future requests at this cache */
  constructor(next: NextUse) {
    this.#next = next;
  }

  requested(file: number, client?: number): void {
    this.#next.requested(file, client);
  }

  admitted(file: number): void {
    this.#held.add(file);
  }

  removed(file: number): void {
    this.#held.delete(file);
  }

  victim(evictable: (file: number) => boolean): number | undefined {
    let best: number | undefined;
    let bestDistance = -1;
    for (const file of this.#held) {
      if (!evictable(file)) continue;
      const d = this.#next.distance(file);
      if (d > bestDistance || (d === bestDistance && file > best!)) {
        best = file;
        bestDistance = d;
      }
    }
    return best;
  }
}
