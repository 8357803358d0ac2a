/**
 * A cache's store: files with their remaining request counts, held within a
 * fixed byte capacity. A file's space is reserved in full when its push
 * begins, so the capacity holds at every instant, including while bytes are
 * still arriving. A file leaves when its count reaches zero and its last
 * reader has finished.
 *
 * @module
 */

import { ForesightError } from "../../errors.ts";

/** One cached file. */
export interface CacheEntry {
  /** File id. */
  readonly file: number;
  /** Total bytes. */
  readonly size: number;
  /** Requests this cache still owes for the file. */
  count: number;
  /** Bytes received so far (the file is complete when it equals `size`). */
  received: number;
  /** Clients reading it now. */
  readers: number;
}

/**
 * Capacity-bounded, count-evicting file store (metadata only; the live cache
 * keeps the bytes beside it).
 *
 * @example
 * ```ts
 * const store = new CacheStore(25 * 1024 * 1024);
 * store.reserve(7, 7168, 2);
 * store.arrived(7, 7168);
 * store.beginRead(7); store.endRead(7); // count 1
 * store.beginRead(7); store.endRead(7); // count 0: evicted
 * ```
 */
export class CacheStore {
  /** Capacity in bytes. */
  readonly capacity: number;
  readonly #entries = new Map<number, CacheEntry>();
  readonly #onEvict: ((file: number) => void) | undefined;
  #used = 0;
  #peak = 0;
  #evicted = 0;

  /**
   * @param capacity bytes this cache may hold at most
   * @param options `onEvict` is called with every file evicted (by count or by {@link evict})
   */
  constructor(capacity: number, options: { onEvict?: (file: number) => void } = {}) {
    this.capacity = capacity;
    this.#onEvict = options.onEvict;
  }

  /** Bytes reserved now. */
  get used(): number {
    return this.#used;
  }
  /** Bytes free now. */
  get free(): number {
    return this.capacity - this.#used;
  }
  /** Most bytes ever reserved at once. */
  get peak(): number {
    return this.#peak;
  }
  /** Files evicted so far. */
  get evicted(): number {
    return this.#evicted;
  }
  /** Files held now. */
  get size(): number {
    return this.#entries.size;
  }

  /** The entry for `file`, if held. */
  get(file: number): CacheEntry | undefined {
    return this.#entries.get(file);
  }

  /** All entries (read-only view for stats). */
  entries(): IterableIterator<CacheEntry> {
    return this.#entries.values();
  }

  /** True when `size` more bytes fit. */
  fits(size: number): boolean {
    return this.#used + size <= this.capacity;
  }

  /**
   * Reserves space for a file that is about to arrive, owing `count` requests.
   *
   * @throws {ForesightError} CAPACITY when it does not fit, PROTOCOL when already held
   */
  reserve(file: number, size: number, count: number): CacheEntry {
    if (this.#entries.has(file)) {
      throw new ForesightError("PROTOCOL", `Cannot store file ${file}: it is already cached`);
    }
    if (!this.fits(size)) {
      throw new ForesightError(
        "CAPACITY",
        `Cannot store file ${file}: ${size} bytes do not fit in ${this.free} free of ${this.capacity}`,
      );
    }
    const entry: CacheEntry = { file, size, count, received: 0, readers: 0 };
    this.#entries.set(file, entry);
    this.#used += size;
    if (this.#used > this.#peak) this.#peak = this.#used;
    if (count === 0) this.#maybeEvict(entry);
    return entry;
  }

  /** Records `bytes` more bytes of `file` received. */
  arrived(file: number, bytes: number): CacheEntry {
    const entry = this.#must(file);
    if (entry.received + bytes > entry.size) {
      throw new ForesightError(
        "PROTOCOL",
        `Cannot store file ${file}: ${entry.received + bytes} bytes exceed its size ${entry.size}`,
      );
    }
    entry.received += bytes;
    return entry;
  }

  /**
   * Starts serving one request for `file`: takes one from its count.
   *
   * @throws {ForesightError} PROTOCOL when the file is not held or is owed to nobody
   */
  beginRead(file: number): CacheEntry {
    const entry = this.#must(file);
    if (entry.count <= 0) {
      throw new ForesightError(
        "PROTOCOL",
        `Cannot serve file ${file}: no request for it is outstanding here`,
      );
    }
    entry.count--;
    entry.readers++;
    return entry;
  }

  /**
   * One request owed for `file` will never be made (its client is gone):
   * takes one from its count, evicting it at zero when nobody reads it.
   * Returns true when the file was evicted; false, changing nothing, when it
   * is not held or is owed to nobody.
   */
  forgo(file: number): boolean {
    const entry = this.#entries.get(file);
    if (!entry || entry.count <= 0 || entry.count === Infinity) return false;
    entry.count--;
    return this.#maybeEvict(entry);
  }

  /** Finishes serving a request; evicts the file when nothing is owed and nobody reads. Returns true when evicted. */
  endRead(file: number): boolean {
    const entry = this.#must(file);
    entry.readers--;
    return this.#maybeEvict(entry);
  }

  /**
   * Evicts `file` whatever its count (a cache that chooses its victims, e.g.
   * LRU). Returns false, changing nothing, when it is not held or still read.
   */
  evict(file: number): boolean {
    const entry = this.#entries.get(file);
    if (!entry || entry.readers > 0) return false;
    this.#remove(entry);
    return true;
  }

  /** Drops `file` at once whatever its count (a push that failed). Returns its remaining count. */
  drop(file: number): number {
    const entry = this.#entries.get(file);
    if (!entry) return 0;
    this.#entries.delete(file);
    this.#used -= entry.size;
    return entry.count;
  }

  #maybeEvict(entry: CacheEntry): boolean {
    if (entry.count > 0 || entry.readers > 0) return false;
    this.#remove(entry);
    return true;
  }

  #remove(entry: CacheEntry): void {
    this.#entries.delete(entry.file);
    this.#used -= entry.size;
    this.#evicted++;
    this.#onEvict?.(entry.file);
  }

  #must(file: number): CacheEntry {
    const entry = this.#entries.get(file);
    if (!entry) throw new ForesightError("PROTOCOL", `Cannot use file ${file}: it is not cached`);
    return entry;
  }
}
