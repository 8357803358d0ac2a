/**
 * Virtual files: file `n` is `n × unit` bytes (unit 1 KiB by default) of
 * deterministic content derived from `(n, seed)`, so every receiver can check
 * every byte without the sender storing anything.
 *
 * Content: a pseudo-random pool of {@link POOL_BYTES} bytes is generated from
 * the seed; file `n` is the pool read cyclically from a start offset that is a
 * hash of `(n, seed)`. Two files therefore differ (different starts), a file
 * served under the wrong id fails verification, and reading a slice is a
 * zero-copy view of a doubled pool.
 *
 * @module
 */

import { ForesightError } from "../../errors.ts";

/** Size of the content pool, a prime so that file windows rarely align. */
export const POOL_BYTES = 1_048_573;
/** The largest slice {@link FileSource.slice} hands out in one piece. */
export const MAX_SLICE = POOL_BYTES;

function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  return (x ^ (x >>> 16)) >>> 0;
}

interface BufferLike {
  from(buffer: ArrayBufferLike, offset: number, length: number): unknown;
  compare(a: unknown, b: unknown): number;
}
const NativeBuffer = (globalThis as { Buffer?: BufferLike }).Buffer;

/**
 * True when `a` and `b` hold the same bytes: a native memcmp where the
 * runtime has one (`Buffer.compare`: Node, Deno and Bun all do), a loop
 * otherwise (browsers).
 */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  if (NativeBuffer && a.length > 64) {
    return NativeBuffer.compare(
      NativeBuffer.from(a.buffer, a.byteOffset, a.length),
      NativeBuffer.from(b.buffer, b.byteOffset, b.length),
    ) === 0;
  }
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Generates, slices and verifies the virtual files of one run.
 *
 * @example
 * ```ts
 * const files = new FileSource({ seed: 1 });
 * const head = files.slice(7, 0, 1024); // first KiB of file 7
 * files.verify(7, 0, head); // true
 * ```
 */
export class FileSource {
  /** Bytes per unit of file id (file n has n × unit bytes). */
  readonly unit: number;
  /** The run seed. */
  readonly seed: number;
  readonly #pool: Uint8Array;

  /**
   * @param options seed of the run; unit bytes per file id (default 1024)
   */
  constructor(options: { seed: number; unit?: number }) {
    this.seed = options.seed >>> 0;
    this.unit = options.unit ?? 1024;
    const pool = new Uint8Array(POOL_BYTES * 2);
    const words = new Uint32Array(pool.buffer, 0, Math.floor(POOL_BYTES / 4) + 1);
    let s = mix32(this.seed ^ 0x9e3779b9) || 1;
    for (let i = 0; i < words.length; i++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      words[i] = s >>> 0;
    }
    pool.copyWithin(POOL_BYTES, 0, POOL_BYTES);
    this.#pool = pool;
  }

  /** Size in bytes of file `n`. */
  size(n: number): number {
    return n * this.unit;
  }

  /** Offset in the pool at which file `n` starts. */
  #start(n: number): number {
    return mix32(Math.imul(n, 0x9e3779b1) ^ mix32(this.seed + 0x632be5ab)) % POOL_BYTES;
  }

  /**
   * A view of `length` bytes of file `n` from `offset` (no copy).
   *
   * @throws {ForesightError} INTERNAL when the range leaves the file or exceeds {@link MAX_SLICE}
   */
  slice(n: number, offset: number, length: number): Uint8Array {
    if (offset < 0 || length < 0 || offset + length > this.size(n) || length > MAX_SLICE) {
      throw new ForesightError(
        "INTERNAL",
        `Cannot slice file ${n}: range ${offset}+${length} is outside its ${this.size(n)} bytes`,
      );
    }
    const at = (this.#start(n) + offset) % POOL_BYTES;
    return this.#pool.subarray(at, at + length);
  }

  /** True when `data` equals file `n`'s bytes at `offset`. */
  verify(n: number, offset: number, data: Uint8Array): boolean {
    if (offset < 0 || offset + data.length > this.size(n)) return false;
    let done = 0;
    while (done < data.length) {
      const len = Math.min(MAX_SLICE, data.length - done);
      if (!bytesEqual(this.slice(n, offset + done, len), data.subarray(done, done + len))) {
        return false;
      }
      done += len;
    }
    return true;
  }
}
