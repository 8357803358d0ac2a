/**
 * `chunk` frames to send, gathered into batches that leave in one write,
 * built without copying a payload.
 *
 * @module
 */

import { headroomOf } from "../core/cache/page_pool.ts";
import { ForesightError } from "../errors.ts";
import { HEADER_BYTES, MessageType, writeHeader } from "../protocol/mod.ts";

/** Bytes before a chunk's payload: frame header and file id. */
export const CHUNK_FRAME_OVERHEAD = HEADER_BYTES + 4;
/** Payload bytes a batch holds before it is full (four 64 KiB chunks). */
export const BATCH_BYTES = 262_144;
/** Frames a batch holds before it is full (what bounds a batch of tiny chunks). */
export const BATCH_FRAMES = 64;

/** Writes a chunk frame's header and file id into `out` at `at`. */
function writeChunkHead(out: Uint8Array, at: number, file: number, n: number): void {
  writeHeader(out, at, MessageType.chunk, 4 + n);
  out[at + HEADER_BYTES] = file >>> 24;
  out[at + HEADER_BYTES + 1] = (file >>> 16) & 0xff;
  out[at + HEADER_BYTES + 2] = (file >>> 8) & 0xff;
  out[at + HEADER_BYTES + 3] = file & 0xff;
}

/**
 * The `chunk` frames of a batch, as the parts of one write (`Conn.writev`).
 * A piece that starts a page of a `PagePool` gets its header written in
 * place, in the page's headroom, and goes out with it as one part (every
 * reader of the page cuts the same pieces, so writes the same header there);
 * any other piece goes out as is, after a header of its own. No payload is
 * copied here. Reused batch after batch: {@link clear} it once its write is done.
 *
 * @example
 * ```ts
 * const batch = new ChunkBatch();
 * batch.add(7, new Uint8Array([1, 2]));
 * batch.parts; // [[0x0b, 0, 0, 0, 6, 0, 0, 0, 7], [1, 2]]: as encodeChunk(7, [1, 2])
 * await conn.writev(batch.parts);
 * batch.clear();
 * ```
 */
export class ChunkBatch {
  /** What to write, in order. */
  readonly parts: Uint8Array[] = [];
  /** Payload bytes in the batch. */
  bytes = 0;
  #frames = 0;
  /** The headers of pieces without headroom, one slot per frame. */
  readonly #heads = new Uint8Array(CHUNK_FRAME_OVERHEAD * BATCH_FRAMES);

  /** True when the batch holds no frame. */
  get empty(): boolean {
    return this.#frames === 0;
  }

  /** True once the batch holds {@link BATCH_BYTES} or {@link BATCH_FRAMES}: time to write it. */
  get full(): boolean {
    return this.bytes >= BATCH_BYTES || this.#frames === BATCH_FRAMES;
  }

  /**
   * Adds the `chunk` frame carrying `piece` of `file`; the caller must not
   * change `piece` until the batch is written.
   *
   * @throws {ForesightError} INTERNAL when the batch already holds {@link BATCH_FRAMES} frames
   */
  add(file: number, piece: Uint8Array): void {
    if (this.#frames === BATCH_FRAMES) {
      throw new ForesightError("INTERNAL", `Cannot add a chunk: the batch holds ${BATCH_FRAMES}`);
    }
    const n = piece.length;
    if (headroomOf(piece) >= CHUNK_FRAME_OVERHEAD) {
      const frame = new Uint8Array(
        piece.buffer,
        piece.byteOffset - CHUNK_FRAME_OVERHEAD,
        CHUNK_FRAME_OVERHEAD + n,
      );
      writeChunkHead(frame, 0, file, n);
      this.parts.push(frame);
    } else {
      const at = this.#frames * CHUNK_FRAME_OVERHEAD;
      writeChunkHead(this.#heads, at, file, n);
      this.parts.push(this.#heads.subarray(at, at + CHUNK_FRAME_OVERHEAD));
      if (n > 0) this.parts.push(piece);
    }
    this.#frames++;
    this.bytes += n;
  }

  /** Empties the batch for the next one (its write must be done). */
  clear(): void {
    this.parts.length = 0;
    this.bytes = 0;
    this.#frames = 0;
  }
}
