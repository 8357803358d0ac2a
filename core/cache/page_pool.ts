/**
 * Fixed-size pages recycled between files, so a cache that streams gigabytes
 * through a few MiB of capacity allocates memory once and reuses it, instead
 * of leaving the garbage collector a file-sized buffer per push. Every page
 * has {@link PAGE_HEADROOM} spare bytes before it, so a sender can put a
 * chunk frame's header in front of a whole page and write page and header
 * without copying the page (see {@link headroomOf}).
 *
 * @module
 */

/** Bytes per page by default: one protocol chunk (`CHUNK_BYTES`; a cache sizes its pages by its chunk). */
export const PAGE_BYTES = 65_536;
/** Spare bytes before every page: a chunk frame's header and file id. */
export const PAGE_HEADROOM = 9;

/** The buffers of every pool's pages. */
const pageBuffers = new WeakSet<ArrayBufferLike>();

/**
 * How many bytes before `view` its holder may overwrite: the page headroom
 * when `view` starts a page of a {@link PagePool}, else 0.
 *
 * @example
 * ```ts
 * const page = new PagePool().take();
 * headroomOf(page); // 9
 * headroomOf(page.subarray(1)); // 0
 * headroomOf(new Uint8Array(4)); // 0
 * ```
 */
export function headroomOf(view: Uint8Array): number {
  return view.byteOffset === PAGE_HEADROOM && pageBuffers.has(view.buffer) ? PAGE_HEADROOM : 0;
}

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

  /** Pages ever allocated (the pool's memory is this × (pageBytes + headroom)). */
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
    const buffer = new ArrayBuffer(PAGE_HEADROOM + this.pageBytes);
    pageBuffers.add(buffer);
    return new Uint8Array(buffer, PAGE_HEADROOM, this.pageBytes);
  }

  /** Returns a page for reuse; the caller must hold no view of it any more. */
  give(page: Uint8Array): void {
    this.#free.push(page);
  }
}
