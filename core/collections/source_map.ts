/**
 * A map from a source (the origin, -1, or cache k) to a value, as an array
 * indexed by source + 1: `get`/`set`/`delete` allocate nothing (a `Map` of
 * one or two entries reallocates its table as it empties and fills, which
 * the client engine does for every file).
 *
 * @module
 */

import type { Source } from "../run/scenario.ts";

/**
 * Values by source.
 *
 * @example
 * ```ts
 * const asked = new SourceMap<number>();
 * asked.set(-1, 7); // file 7 asked of the origin
 * asked.get(-1); // 7
 * asked.delete(-1);
 * asked.has(-1); // false
 * ```
 */
export class SourceMap<T> {
  readonly #slots: (T | undefined)[] = [];
  #size = 0;

  /** Sources with a value. */
  get size(): number {
    return this.#size;
  }

  /** The value for `source`, if any. */
  get(source: Source): T | undefined {
    return this.#slots[source + 1];
  }

  /** Whether `source` has a value. */
  has(source: Source): boolean {
    return this.#slots[source + 1] !== undefined;
  }

  /**
   * Sets `source`'s value.
   *
   * @throws {RangeError} when `source` is not an integer ≥ -1
   */
  set(source: Source, value: T): this {
    if (!Number.isInteger(source) || source < -1) {
      throw new RangeError(`Cannot set source ${source}: sources are -1 (origin) or a cache index`);
    }
    while (this.#slots.length <= source + 1) this.#slots.push(undefined);
    if (this.#slots[source + 1] === undefined) this.#size++;
    this.#slots[source + 1] = value;
    return this;
  }

  /** Removes `source`'s value; true when there was one. */
  delete(source: Source): boolean {
    if (this.#slots[source + 1] === undefined) return false;
    this.#slots[source + 1] = undefined;
    this.#size--;
    return true;
  }

  /** Whether some source has `value` (a scan of the slots: allocates nothing). */
  includes(value: T): boolean {
    for (let i = 0; i < this.#slots.length; i++) if (this.#slots[i] === value) return true;
    return false;
  }

  /** Every source with its value, origin first, then the caches in order. */
  *entries(): IterableIterator<[Source, T]> {
    for (let i = 0; i < this.#slots.length; i++) {
      const v = this.#slots[i];
      if (v !== undefined) yield [i - 1, v];
    }
  }
}
