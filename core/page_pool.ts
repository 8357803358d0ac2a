/**
 * Fixed-size pages recycled between files, so a cache that streams gigabytes
 * through a few MiB of capacity allocates memory once and reuses it, instead
 * of leaving the garbage collector a file-sized buffer per push.
 *
 * @module
 */

/** Bytes per page: one protocol chunk. */
export const PAGE_BYTES = 65_536;

/**
 * A free list of equal-sized pages.
 *
 * @example
 * ```ts
 * const pool = new PagePool();
 * const page = pool.take();
 * pool.give(page); // the next take() returns it again
 * ```
 */
export class PagePool {
  /** Bytes per page. */
  readonly pageBytes: number;
  readonly #free: Uint8Array[] = [];
  #allocated = 0;

  /** @param pageBytes bytes per page (default {@link PAGE_BYTES}) */
  constructor(pageBytes = PAGE_BYTES) {
    this.pageBytes = pageBytes;
  }

  /** Pages ever allocated (the pool's memory is this × pageBytes). */
  get allocated(): number {
    return this.#allocated;
  }
  /** Pages waiting for reuse. */
  get free(): number {
    return this.#free.length;
  }

  /** A page, reused when one is free. Its old contents are not cleared. */
  take(): Uint8Array {
    const page = this.#free.pop();
    if (page) return page;
    this.#allocated++;
    return new Uint8Array(this.pageBytes);
  }

  /** Returns a page for reuse; the caller must hold no view of it any more. */
  give(page: Uint8Array): void {
    this.#free.push(page);
  }
}
