/**
 * The bytes of one cached file, readable while they still arrive
 * (cut-through): a reader gets each part as soon as it is stored. Storage is
 * pages from a {@link PagePool}, taken as bytes arrive and given back on
 * {@link FileBuffer.release}.
 *
 * @module
 */

import { ForesightError } from "../../errors.ts";
import type { PagePool } from "./page_pool.ts";

/**
 * A fixed-size byte buffer filled in order and read concurrently.
 *
 * @example
 * ```ts
 * const buf = new FileBuffer(8, new PagePool(4));
 * buf.append(new Uint8Array(8));
 * for await (const pages of buf.read()) console.log(pages.map((p) => p.length)); // [4, 4]
 * buf.release();
 * ```
 */
export class FileBuffer {
  /** Total bytes. */
  readonly size: number;
  readonly #pool: PagePool;
  readonly #pages: Uint8Array[] = [];
  #filled = 0;
  #failed: Error | null = null;
  #released = false;
  /** Readers under way ({@link read}): pages go back to the pool once none is left. */
  #readers = 0;
  #wake: (() => void)[] = [];
  /** A wake of the readers is scheduled. */
  #waking = false;

  /**
   * @param size total bytes
   * @param pool where pages come from and go back to
   */
  constructor(size: number, pool: PagePool) {
    this.size = size;
    this.#pool = pool;
  }

  /** Bytes stored so far. */
  get filled(): number {
    return this.#filled;
  }

  /** True once every byte is stored. */
  get complete(): boolean {
    return this.#filled === this.size;
  }

  /** Stores the next part; throws PROTOCOL when it overruns the size. */
  append(part: Uint8Array): void {
    if (this.#filled + part.length > this.size) {
      throw new ForesightError(
        "PROTOCOL",
        `Cannot store ${part.length} bytes: file holds ${this.size}, ${this.#filled} already stored`,
      );
    }
    if (this.#released) {
      // Evicted while still arriving: the rest is counted, not kept.
      this.#filled += part.length;
      return;
    }
    const pageBytes = this.#pool.pageBytes;
    let done = 0;
    while (done < part.length) {
      const at = this.#filled % pageBytes;
      if (at === 0) this.#pages.push(this.#pool.take());
      const n = Math.min(pageBytes - at, part.length - done);
      this.#pages[this.#pages.length - 1]!.set(part.subarray(done, done + n), at);
      done += n;
      this.#filled += n;
    }
    this.#notify();
  }

  /** Marks the buffer as never to be completed; readers throw `reason`. */
  fail(reason: Error): void {
    this.#failed = reason;
    this.#notify();
  }

  /**
   * Gives the pages back to the pool, once the readers under way have stopped
   * (they throw at their next page: a view they yielded may still be in a
   * socket's hands until then). Safe to call twice.
   */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    if (this.#readers === 0) this.#givePages();
    this.fail(new ForesightError("INTERNAL", "Cannot read file: its buffer was released"));
  }

  #givePages(): void {
    for (const page of this.#pages) this.#pool.give(page);
    this.#pages.length = 0;
  }

  /**
   * Wakes the waiting readers once the task storing bytes is over (a
   * macrotask later), so that every page a read of the socket fills goes to
   * them at once, and out in one write, instead of one page per wake.
   */
  #notify(): void {
    if (this.#wake.length === 0 || this.#waking) return;
    this.#waking = true;
    setImmediate(() => {
      this.#waking = false;
      const wake = this.#wake;
      this.#wake = [];
      for (const w of wake) w();
    });
  }

  /** Views of the stored bytes in [from, to) (to ≤ filled), one per page touched. */
  *#views(from: number, to: number): Generator<Uint8Array> {
    const pageBytes = this.#pool.pageBytes;
    while (from < to) {
      const page = this.#pages[Math.floor(from / pageBytes)];
      // Released while a reader was between two pages (a cache evicted it).
      if (page === undefined || this.#released) {
        throw new ForesightError("INTERNAL", "Cannot read file: it was evicted meanwhile");
      }
      const at = from % pageBytes;
      const n = Math.min(pageBytes - at, to - from);
      yield page.subarray(at, at + n);
      from += n;
    }
  }

  /**
   * Yields the whole file as views of its pages, one per page, each once the
   * page is full (the last once the file is complete), waiting for bytes not
   * yet stored; every page there at once comes in one array (so a sender can
   * write them together). Every reader gets the same views, so a sender may
   * write the same frame header into each page's headroom (`headroomOf`).
   * The views stay valid until the reader stops, even past {@link release}.
   */
  async *read(): AsyncGenerator<Uint8Array[]> {
    const pageBytes = this.#pool.pageBytes;
    let at = 0;
    this.#readers++;
    try {
      while (at < this.size) {
        if (this.#failed) throw this.#failed;
        const filled = this.#filled;
        const end = filled === this.size ? filled : filled - filled % pageBytes;
        if (end <= at) {
          await new Promise<void>((resolve) => this.#wake.push(resolve));
          continue;
        }
        yield [...this.#views(at, end)];
        at = end;
      }
    } finally {
      if (--this.#readers === 0 && this.#released) this.#givePages();
    }
  }

  /**
   * Copies of the bytes in [offset, offset + length), which must be stored.
   *
   * @throws {ForesightError} INTERNAL when the range is not stored
   */
  *copy(offset: number, length: number): Generator<Uint8Array> {
    if (offset < 0 || offset + length > this.#filled || this.#released) {
      throw new ForesightError(
        "INTERNAL",
        `Cannot read bytes ${offset}+${length}: ${this.#filled} stored`,
      );
    }
    for (const v of this.#views(offset, offset + length)) {
      if (this.#released) {
        throw new ForesightError("INTERNAL", "Cannot read file: it was evicted meanwhile");
      }
      yield v.slice();
    }
  }
}
