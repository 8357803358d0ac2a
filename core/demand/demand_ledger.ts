/**
 * The origin's demand table: for every file, how many requests are still
 * outstanding and who owns them (the origin, or the cache it was pushed to).
 *
 * @module
 */

import { ForesightError } from "../../errors.ts";

/** Owner value meaning "the origin holds this file's demand". */
export const ORIGIN_OWNER = -1;

/**
 * Outstanding requests per file.
 *
 * Invariants (checked): a count never goes negative; demand handed to a cache
 * leaves the origin's count at 0; the sum of what was added equals what was
 * served directly, handed to caches, cancelled and still outstanding.
 *
 * @example
 * ```ts
 * const ledger = new DemandLedger(10);
 * ledger.add([2, 3]);
 * ledger.add([3]);
 * ledger.handOff(3, 0); // 2: cache 0 now owns both requests for file 3
 * ledger.serveDirect(2); // origin served file 2 to a client
 * ```
 */
export class DemandLedger {
  /** Highest file id. */
  readonly files: number;
  readonly #count: Int32Array;
  readonly #owner: Int16Array;
  #added = 0;
  #direct = 0;
  #handed = 0;
  #cancelled = 0;

  /** @param files highest file id (ids are 1..files) */
  constructor(files: number) {
    this.files = files;
    this.#count = new Int32Array(files + 1);
    this.#owner = new Int16Array(files + 1).fill(ORIGIN_OWNER);
  }

  #check(file: number): void {
    if (!Number.isInteger(file) || file < 1 || file > this.files) {
      throw new ForesightError(
        "PROTOCOL",
        `Cannot use file ${file}: ids run from 1 to ${this.files}`,
      );
    }
  }

  /** Adds one outstanding request for each file of a client's list. */
  add(list: readonly number[]): void {
    for (const f of list) this.#check(f);
    for (const f of list) {
      this.#count[f]!++;
      this.#added++;
    }
  }

  /** Requests for `file` the origin still owns. */
  outstanding(file: number): number {
    this.#check(file);
    return this.#count[file]!;
  }

  /** Who owns `file`'s demand: {@link ORIGIN_OWNER} or a cache index. */
  owner(file: number): number {
    this.#check(file);
    return this.#owner[file]!;
  }

  /**
   * Moves `count` of `file`'s outstanding requests (default: all) to `cache`
   * and returns how many moved. The cache becomes the file's owner once the
   * origin keeps none; a partial hand-off (foresight: some requesters fetch
   * the file directly) leaves the rest, and the ownership, at the origin. A
   * count of 0 changes nothing (pull-through caches own no demand).
   *
   * @throws {ForesightError} PROTOCOL when the origin no longer owns the file, or owns fewer than `count` requests
   */
  handOff(file: number, cache: number, count?: number): number {
    this.#check(file);
    if (count === 0) return 0;
    if (this.#owner[file] !== ORIGIN_OWNER) {
      throw new ForesightError(
        "PROTOCOL",
        `Cannot hand file ${file} to cache ${cache}: cache ${this.#owner[file]} owns it`,
      );
    }
    const held = this.#count[file]!;
    const n = count ?? held;
    if (!Number.isInteger(n) || n < 0 || n > held) {
      throw new ForesightError(
        "PROTOCOL",
        `Cannot hand ${n} requests for file ${file} to cache ${cache}: the origin owns ${held}`,
      );
    }
    this.#count[file] = held - n;
    if (held === n) this.#owner[file] = cache;
    this.#handed += n;
    return n;
  }

  /**
   * Withdraws one request for `file` that will never be made (its client is
   * gone). Returns false, changing nothing, when the origin owns none.
   */
  cancel(file: number): boolean {
    this.#check(file);
    if (this.#owner[file] !== ORIGIN_OWNER || this.#count[file]! <= 0) return false;
    this.#count[file]!--;
    this.#cancelled++;
    return true;
  }

  /**
   * Records one request for `file` served by the origin itself. Returns false,
   * changing nothing, when the origin owns no outstanding request for it.
   */
  serveDirect(file: number): boolean {
    this.#check(file);
    if (this.#owner[file] !== ORIGIN_OWNER || this.#count[file]! <= 0) return false;
    this.#count[file]!--;
    this.#direct++;
    return true;
  }

  /**
   * A cache is gone: every file it owned goes back to the origin with no
   * request counted (the origin cannot know how many the cache had served;
   * those still to come are served directly, see {@link serveDirect}'s false).
   * Returns the files reclaimed.
   */
  reclaim(cache: number): number[] {
    const files: number[] = [];
    for (let f = 1; f <= this.files; f++) {
      if (this.#owner[f] !== cache) continue;
      this.#owner[f] = ORIGIN_OWNER;
      files.push(f);
    }
    return files;
  }

  /** Totals: requests added, served directly, handed to caches, cancelled, still at the origin. */
  totals(): {
    added: number;
    direct: number;
    handed: number;
    cancelled: number;
    outstanding: number;
  } {
    return {
      added: this.#added,
      direct: this.#direct,
      handed: this.#handed,
      cancelled: this.#cancelled,
      outstanding: this.#added - this.#direct - this.#handed - this.#cancelled,
    };
  }
}
