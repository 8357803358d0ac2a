/**
 * A set of file ids 1..n as a bitmap: `has`/`add`/`delete` allocate nothing
 * and cost the same whatever the set holds. The engines keep one per client
 * for facts about (client, file) pairs ("served to", "carried for"), so a run
 * of 256 clients × 100,000 files holds 3.2 MB of them instead of hash sets
 * that grow and rehash as the run goes.
 *
 * @module
 */

/**
 * File ids 1..`files` as bits.
 *
 * @example
 * ```ts
 * const got = new FileSet(10_000);
 * got.add(7);
 * got.has(7); // true
 * got.has(8); // false
 * ```
 */
export class FileSet {
  readonly #bits: Uint32Array;
  #size = 0;

  /** @param files the largest id the set may hold (ids above it are never held) */
  constructor(files: number) {
    this.#bits = new Uint32Array((Math.max(0, files) >>> 5) + 1);
  }

  /** Ids held. */
  get size(): number {
    return this.#size;
  }

  /** Whether `file` is held (false for ids out of range). */
  has(file: number): boolean {
    const word = this.#bits[file >>> 5];
    return word !== undefined && file >= 0 && (word & (1 << (file & 31))) !== 0;
  }

  /**
   * Holds `file`.
   *
   * @throws {RangeError} when `file` is not an integer in 0..files
   */
  add(file: number): this {
    const i = file >>> 5;
    const word = this.#bits[i];
    if (word === undefined || !Number.isInteger(file) || file < 0) {
      throw new RangeError(
        `Cannot add file ${file}: ids run from 1 to ${this.#bits.length * 32 - 1}`,
      );
    }
    const bit = 1 << (file & 31);
    if ((word & bit) === 0) {
      this.#bits[i] = word | bit;
      this.#size++;
    }
    return this;
  }

  /** Lets `file` go; true when it was held. */
  delete(file: number): boolean {
    if (!this.has(file)) return false;
    this.#bits[file >>> 5]! &= ~(1 << (file & 31));
    this.#size--;
    return true;
  }
}
