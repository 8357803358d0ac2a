/**
 * The bytes of one `chunk` frame to send, built without copying the payload
 * when it is a whole cache page.
 *
 * @module
 */

import { headroomOf } from "../core/cache/page_pool.ts";
import { CHUNK_BYTES, HEADER_BYTES, MessageType, writeHeader } from "../protocol/mod.ts";

/** Bytes before a chunk's payload: frame header and file id. */
export const CHUNK_FRAME_OVERHEAD = HEADER_BYTES + 4;

/**
 * A buffer for {@link chunkFrame} to copy a payload of up to `chunkBytes` into: one per connection.
 *
 * @example `const scratch = chunkScratch(); // 65545 bytes`
 */
export function chunkScratch(chunkBytes: number = CHUNK_BYTES): Uint8Array {
  return new Uint8Array(CHUNK_FRAME_OVERHEAD + chunkBytes);
}

/**
 * The `chunk` frame carrying `piece` of `file`. A piece that starts a page of
 * a `PagePool` gets its header written in place, in the page's headroom, and
 * is sent from the page itself (every reader of the page cuts the same pieces,
 * so writes the same header there); any other piece is copied after the
 * header into `scratch`, which the caller must not reuse until the frame is written.
 *
 * @param piece at most the bytes `scratch` was made for
 * @param scratch from {@link chunkScratch}
 * @example
 * ```ts
 * const frame = chunkFrame(7, new Uint8Array([1, 2]), chunkScratch());
 * // [0x0b, 0, 0, 0, 6, 0, 0, 0, 7, 1, 2]: as encodeChunk(7, [1, 2])
 * ```
 */
export function chunkFrame(file: number, piece: Uint8Array, scratch: Uint8Array): Uint8Array {
  const n = piece.length;
  let frame: Uint8Array;
  if (headroomOf(piece) >= CHUNK_FRAME_OVERHEAD) {
    const from = piece.byteOffset - CHUNK_FRAME_OVERHEAD;
    frame = new Uint8Array(piece.buffer, from, CHUNK_FRAME_OVERHEAD + n);
  } else {
    frame = scratch.subarray(0, CHUNK_FRAME_OVERHEAD + n);
    frame.set(piece, CHUNK_FRAME_OVERHEAD);
  }
  writeHeader(frame, 0, MessageType.chunk, 4 + n);
  frame[HEADER_BYTES] = file >>> 24;
  frame[HEADER_BYTES + 1] = (file >>> 16) & 0xff;
  frame[HEADER_BYTES + 2] = (file >>> 8) & 0xff;
  frame[HEADER_BYTES + 3] = file & 0xff;
  return frame;
}
