/**
 * Clairvoyance for Belady eviction: how far ahead the next request for a
 * file is, learnt from the requests to come. {@link ListsNextUse} reads the
 * clients' request lists (what a Foresight cache knows: every list derives
 * from the scenario); {@link TraceNextUse} reads one known request sequence.
 *
 * @module
 */

/** An oracle of future requests at one cache. */
export interface NextUse {
  /** A request for `file` (from `client`, when known) arrived: the future moves on. */
  requested(file: number, client?: number): void;
  /** How far ahead the next request for `file` is (smaller is sooner); Infinity when never. */
  distance(file: number): number;
}

/**
 * Next use from per-client request orders at one cache. A client's distance
 * to a file is the bytes it will fetch from this cache before it (all of a
 * cache's client links run at one rate, so bytes ahead stand for time
 * ahead); a file's distance is the least over the clients that still want it.
 *
 * @example
 * ```ts
 * const next = new ListsNextUse([[2, 4], [4]], (f) => f);
 * next.distance(4); // 0: client 1 asks for it first
 * next.requested(4, 1);
 * next.distance(4); // 2: client 0 fetches file 2 first
 * ```
 */
export class ListsNextUse implements NextUse {
  /** Per client: prefix sums of its files' sizes, in its order. */
  readonly #before: number[][];
  /** Per client: how many of its files it has asked for. */
  readonly #at: number[];
  /** Per file: [client, position] of every client that will ask for it. */
  readonly #wanted = new Map<number, [number, number][]>();

  /**
   * @param orders per client, the files it will ask this cache for, in order
   * @param size a file's size
   */
  constructor(orders: readonly (readonly number[])[], size: (file: number) => number) {
    this.#before = orders.map((order) => {
      const sums = [0];
      for (const f of order) sums.push(sums[sums.length - 1]! + size(f));
      return sums;
    });
    this.#at = orders.map(() => 0);
    orders.forEach((order, client) =>
      order.forEach((file, i) => {
        const list = this.#wanted.get(file);
        if (list) list.push([client, i]);
        else this.#wanted.set(file, [[client, i]]);
      })
    );
  }

  requested(file: number, client?: number): void {
    for (const [c, i] of this.#wanted.get(file) ?? []) {
      if ((client === undefined || c === client) && this.#at[c]! <= i) this.#at[c] = i + 1;
    }
  }

  distance(file: number): number {
    let best = Infinity;
    for (const [c, i] of this.#wanted.get(file) ?? []) {
      const at = this.#at[c]!;
      if (i < at) continue;
      const d = this.#before[c]![i]! - this.#before[c]![at]!;
      if (d < best) best = d;
    }
    return best;
  }
}

/**
 * Next use in one known request sequence: the number of requests until the
 * file is asked for again.
 *
 * @example
 * ```ts
 * const next = new TraceNextUse([1, 2, 1]);
 * next.requested(1);
 * next.distance(1); // 1: after one more request
 * ```
 */
export class TraceNextUse implements NextUse {
  /** Per file: the positions where it is asked for. */
  readonly #positions = new Map<number, number[]>();
  /** Per file: index into its positions of the first one not yet passed. */
  readonly #cursor = new Map<number, number>();
  #at = 0;

  /** @param sequence the requests, in order */
  constructor(sequence: readonly number[]) {
    sequence.forEach((file, i) => {
      const list = this.#positions.get(file);
      if (list) list.push(i);
      else this.#positions.set(file, [i]);
    });
  }

  requested(file: number): void {
    const next = this.#next(file);
    if (next !== undefined) this.#at = next + 1;
  }

  distance(file: number): number {
    const next = this.#next(file);
    return next === undefined ? Infinity : next - this.#at;
  }

  #next(file: number): number | undefined {
    const list = this.#positions.get(file);
    if (!list) return undefined;
    let k = this.#cursor.get(file) ?? 0;
    while (k < list.length && list[k]! < this.#at) k++;
    this.#cursor.set(file, k);
    return list[k];
  }
}
