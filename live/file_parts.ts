/**
 * A virtual file's bytes as zero-copy parts, for sending.
 *
 * @module
 */

import { type FileSource, MAX_SLICE } from "../core/files/virtual_files.ts";

/**
 * Yields file `n`'s bytes in views of at most `partBytes` (default as large as the pool allows).
 *
 * @example
 * ```ts
 * for (const part of fileParts(files, 7)) total += part.length; // 7168
 * ```
 */
export function* fileParts(
  files: FileSource,
  n: number,
  partBytes = MAX_SLICE,
): Generator<Uint8Array> {
  const size = files.size(n);
  for (let at = 0; at < size; at += partBytes) {
    yield files.slice(n, at, Math.min(partBytes, size - at));
  }
}

/**
 * Yields `length` bytes of file `n` from `offset`, in views.
 *
 * @throws {ForesightError} INTERNAL when the range leaves the file
 */
export function* fileRange(
  files: FileSource,
  n: number,
  offset: number,
  length: number,
): Generator<Uint8Array> {
  const end = offset + length;
  for (let at = offset; at < end; at += MAX_SLICE) {
    yield files.slice(n, at, Math.min(MAX_SLICE, end - at));
  }
}
