/**
 * The seed project's algorithm: warm each cache with its shard's smallest
 * requested files up to capacity; a cache asks for the next smallest file
 * still in demand whenever it has room for it; clients fetch their files one
 * at a time, smallest first, from their shard's cache, and from the origin on
 * a miss. `nocache` is the same client with every fetch sent to the origin.
 * "Smallest" is the lowest id, as in the seed project (its file n is n KiB);
 * a file larger than a cache is never pushed, so it comes from the origin.
 *
 * @module
 */

import { ORIGIN_OWNER } from "../demand/demand_ledger.ts";
import {
  type Busy,
  type ClientPolicy,
  type Fetch,
  NO_FETCHES,
  ORIGIN_SOURCE,
  type OriginPolicy,
  type OriginView,
  type Push,
  type Source,
} from "./policy.ts";
import { shardOf } from "../run/scenario.ts";

/**
 * Origin side of the seed algorithm.
 *
 * @example
 * ```ts
 * const policy = new SeedOrigin(view);
 * const pushes = policy.warmup();
 * ```
 */
export class SeedOrigin implements OriginPolicy {
  readonly #view: OriginView;
  /** Per cache: its shard's requested files that fit it, ascending. */
  readonly #order: number[][];
  /** Per cache: first position of #order not known to be ineligible. */
  readonly #at: number[];

  /** @param view the demand and lists the policy reads */
  constructor(view: OriginView) {
    this.#view = view;
    const wanted = new Set<number>();
    for (const list of view.lists) for (const f of list) wanted.add(f);
    this.#order = Array.from({ length: view.caches }, () => [] as number[]);
    for (const f of [...wanted].sort((a, b) => a - b)) {
      // A file larger than a cache can only come from the origin: never hinted nor pushed.
      if (view.size(f) <= view.capacity) this.#order[shardOf(f, view.caches)]!.push(f);
    }
    this.#at = new Array<number>(view.caches).fill(0);
  }

  #eligible(cache: number, file: number): boolean {
    const { ledger } = this.#view;
    return ledger.owner(file) === ORIGIN_OWNER && ledger.outstanding(file) > 0 &&
      (this.#view.wanted?.(cache, file) ?? true);
  }

  warmup(): Push[] {
    const pushes: Push[] = [];
    for (let cache = 0; cache < this.#view.caches; cache++) {
      let used = 0;
      for (let f = this.hint(cache); f !== null; f = this.hint(cache)) {
        const size = this.#view.size(f);
        if (used + size > this.#view.capacity) break;
        used += size;
        pushes.push({ cache, file: f });
        this.#at[cache]!++;
      }
    }
    return pushes;
  }

  hint(cache: number): number | null {
    const order = this.#order[cache]!;
    let i = this.#at[cache]!;
    while (i < order.length && !this.#eligible(cache, order[i]!)) i++;
    this.#at[cache] = i;
    return order[i] ?? null;
  }

  grant(cache: number, file: number): boolean {
    return shardOf(file, this.#view.caches) === cache && this.#eligible(cache, file);
  }

  routes(): undefined {
    return undefined;
  }
}

/** Origin side of `nocache`: pushes nothing. */
export class NoCacheOrigin implements OriginPolicy {
  warmup(): Push[] {
    return [];
  }
  hint(): null {
    return null;
  }
  grant(): boolean {
    return false;
  }
  routes(): undefined {
    return undefined;
  }
}

/**
 * Client side of the seed algorithm: one fetch at a time, smallest first,
 * shard cache first, origin on a miss. With `caches = 0` every fetch goes to
 * the origin (`nocache`).
 *
 * @example
 * ```ts
 * const client = new SequentialClient([3, 8], 2);
 * client.poll(new Set()); // [{ file: 3, source: 1 }]
 * ```
 */
export class SequentialClient implements ClientPolicy {
  readonly #queue: number[];
  readonly #caches: number;
  readonly #routes = new Map<number, Source>();
  #next = 0;
  #current: Fetch | null = null;
  readonly #lost = new Set<Source>();

  /**
   * @param list the client's files (any order; fetched ascending)
   * @param caches number of caches (0: always the origin)
   */
  constructor(list: readonly number[], caches: number) {
    this.#queue = [...list].sort((a, b) => a - b);
    this.#caches = caches;
  }

  get finished(): boolean {
    return this.#next >= this.#queue.length;
  }

  poll(busy: Busy): readonly Fetch[] {
    if (this.#current || this.finished) return NO_FETCHES;
    const file = this.#queue[this.#next]!;
    let source = this.#routes.get(file) ??
      (this.#caches > 0 ? shardOf(file, this.#caches) : ORIGIN_SOURCE);
    if (this.#lost.has(source)) source = ORIGIN_SOURCE;
    if (busy.has(source)) return NO_FETCHES;
    this.#current = { file, source };
    return [this.#current];
  }

  received(file: number): void {
    if (this.#current?.file !== file) return;
    this.#current = null;
    this.#next++;
  }

  missed(file: number, source: Source): void {
    if (this.#current?.file !== file) return;
    this.#current = null;
    // A cache miss goes to the origin; an origin "miss" means a cache has
    // just taken the file's demand: back to the shard's cache.
    if (source !== ORIGIN_SOURCE) this.#routes.set(file, ORIGIN_SOURCE);
    else if (this.#caches > 0) this.#routes.set(file, shardOf(file, this.#caches));
  }

  route(routes: readonly [number, Source][]): void {
    for (const [file, source] of routes) this.#routes.set(file, source);
  }

  lost(source: Source): void {
    if (source === ORIGIN_SOURCE) return;
    this.#lost.add(source);
    if (this.#current?.source === source) this.#current = null;
  }

  /** Fetches go to `source` again (one at a time, in ascending order, as before). */
  regain(source: Source, _files: readonly number[]): void {
    this.#lost.delete(source);
  }
}
