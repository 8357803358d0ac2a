/**
 * Frames: the unit of the Foresight wire protocol. Every message travels as one
 * frame, a 5-byte header followed by the body:
 *
 * | bytes | field  | encoding                                         |
 * | ----- | ------ | ------------------------------------------------ |
 * | 0     | type   | u8, a `MessageType` code                         |
 * | 1..4  | length | u32 big-endian body length, 0..maxBody (1 MiB)   |
 * | 5..   | body   | `length` bytes: UTF-8 JSON, or binary for chunks |
 *
 * {@link FrameDecoder} is a pure incremental state machine: feed it the bytes
 * as they arrive, in chunks of any size, and it returns each complete frame.
 *
 * @module
 */

import { ForesightError } from "../errors.ts";

/**
 * Bytes in a frame header: 1 type byte and a 4-byte big-endian body length.
 * @example `const body = frameBytes.subarray(HEADER_BYTES);`
 */
export const HEADER_BYTES = 5;
/**
 * Largest body a decoder accepts unless told otherwise (1 MiB).
 * @example `new FrameDecoder({ maxBody: 4 * DEFAULT_MAX_BODY })`
 */
export const DEFAULT_MAX_BODY = 1_048_576;
/**
 * Conventional payload size of one `chunk` message (64 KiB).
 * @example `encodeChunk(file, bytes.subarray(at, at + CHUNK_BYTES))`
 */
export const CHUNK_BYTES = 65_536;
/** Largest body length the header can express (u32). */
const MAX_U32 = 0xffff_ffff;

/**
 * One decoded frame: its type byte and its body.
 * @example `const frame: Frame = { type: 0x05, body: new Uint8Array([0x7b, 0x7d]) };`
 */
export interface Frame {
  /** The type byte (0..255). */
  type: number;
  /** The body bytes; may be a view into a chunk passed to {@link FrameDecoder.push}. */
  body: Uint8Array;
}

/**
 * Options of {@link FrameDecoder}.
 * @example `const options: FrameDecoderOptions = { maxBody: 65_545 };`
 */
export interface FrameDecoderOptions {
  /** Largest body accepted, in bytes (default {@link DEFAULT_MAX_BODY}). */
  maxBody?: number;
}

/**
 * Writes a frame header into `out` at `offset`.
 *
 * @param out destination, with at least {@link HEADER_BYTES} bytes after `offset`
 * @param offset where the header starts
 * @param type the type byte
 * @param length the body length
 * @example
 * ```ts
 * const out = new Uint8Array(HEADER_BYTES + 2);
 * writeHeader(out, 0, 0x05, 2); // out = [0x05, 0, 0, 0, 2, 0, 0]
 * ```
 */
export function writeHeader(out: Uint8Array, offset: number, type: number, length: number): void {
  out[offset] = type;
  out[offset + 1] = length >>> 24;
  out[offset + 2] = (length >>> 16) & 0xff;
  out[offset + 3] = (length >>> 8) & 0xff;
  out[offset + 4] = length & 0xff;
}

/**
 * Encodes one frame: header then body, in a single new buffer.
 *
 * @param type the type byte, an integer 0..255
 * @param body the body bytes (copied)
 * @returns the frame bytes
 * @throws {ForesightError} `PROTOCOL` when `type` is not a byte;
 *   `FRAME_TOO_LARGE` when the body cannot be described by a u32
 * @example
 * ```ts
 * const bytes = encodeFrame(0x05, new TextEncoder().encode("{}"));
 * // bytes = [0x05, 0, 0, 0, 2, 0x7b, 0x7d]
 * ```
 */
export function encodeFrame(type: number, body: Uint8Array): Uint8Array {
  if (!Number.isInteger(type) || type < 0 || type > 0xff) {
    throw new ForesightError("PROTOCOL", `Cannot encode frame: type ${type} is not a byte`);
  }
  if (body.length > MAX_U32) {
    throw new ForesightError(
      "FRAME_TOO_LARGE",
      `Cannot encode frame: body length ${body.length} exceeds limit ${MAX_U32}`,
    );
  }
  const out = new Uint8Array(HEADER_BYTES + body.length);
  writeHeader(out, 0, type, body.length);
  out.set(body, HEADER_BYTES);
  return out;
}

/**
 * Incremental frame decoder: push byte chunks of any size, get back every frame
 * they complete. It keeps at most one partial frame, as views of the chunks
 * it arrived in, so what it holds grows with the bytes received, never with a
 * length merely announced (checked against the limit first); a body is copied
 * once, when complete. A frame that lies wholly inside one pushed chunk is
 * returned as a zero-copy view (so do not reuse a chunk after pushing it). After it throws, the stream is out of sync: every later `push`
 * throws the same error.
 *
 * @example
 * ```ts
 * const decoder = new FrameDecoder({ maxBody: 1024 });
 * const bytes = encodeFrame(5, new Uint8Array([1, 2, 3]));
 * decoder.push(bytes.subarray(0, 4)); // [] — header still incomplete
 * decoder.push(bytes.subarray(4));    // [{ type: 5, body: [1, 2, 3] }]
 * decoder.idle;                       // true
 * ```
 */
export class FrameDecoder {
  readonly #maxBody: number;
  /** Header bytes of the pending frame, while fewer than HEADER_BYTES have arrived. */
  readonly #head = new Uint8Array(HEADER_BYTES);
  #headFill = 0;
  /** Type and body of the pending frame, once its header is complete. */
  #type = 0;
  /** The pending body's parts received so far (views, not copies), or null. */
  #parts: Uint8Array[] | null = null;
  #bodyLength = 0;
  #bodyFill = 0;
  #error: ForesightError | null = null;

  /**
   * @param options `maxBody`: the largest body accepted, 0..2^32-1
   * @throws {ForesightError} `CONFIG` when `maxBody` is out of range
   */
  constructor(options: FrameDecoderOptions = {}) {
    const maxBody = options.maxBody ?? DEFAULT_MAX_BODY;
    if (!Number.isInteger(maxBody) || maxBody < 0 || maxBody > MAX_U32) {
      throw new ForesightError(
        "CONFIG",
        `Cannot create frame decoder: maxBody ${maxBody} is not an integer in 0..${MAX_U32}`,
      );
    }
    this.#maxBody = maxBody;
  }

  /** Bytes held for the pending partial frame (header included). */
  get buffered(): number {
    return this.#parts === null ? this.#headFill : HEADER_BYTES + this.#bodyFill;
  }

  /**
   * Bytes of the pending frame in all (header included), once its header has
   * arrived; undefined while no frame is pending or its header is incomplete.
   * With {@link buffered}, what a timeout can report ("12 of 65545 bytes").
   */
  get frameBytes(): number | undefined {
    return this.#parts === null ? undefined : HEADER_BYTES + this.#bodyLength;
  }

  /** True when no partial frame is pending; false at EOF means the stream was truncated. */
  get idle(): boolean {
    return this.#parts === null && this.#headFill === 0;
  }

  /**
   * Consumes `chunk` and returns the frames it completes, in order.
   *
   * @param chunk the next bytes of the stream
   * @returns the complete frames (possibly none)
   * @throws {ForesightError} `FRAME_TOO_LARGE` as soon as a header announces a
   *   body over `maxBody`
   */
  push(chunk: Uint8Array): Frame[] {
    if (this.#error !== null) throw this.#error;
    const frames: Frame[] = [];
    const end = chunk.length;
    let at = 0;
    while (at < end) {
      if (this.#parts !== null) {
        // Continue a pending body: keep views of what arrived (memory grows
        // with the bytes received, never with the length announced), and
        // copy them once into the body when it is complete.
        const take = Math.min(this.#bodyLength - this.#bodyFill, end - at);
        this.#parts.push(chunk.subarray(at, at + take));
        this.#bodyFill += take;
        at += take;
        if (this.#bodyFill === this.#bodyLength) {
          const body = new Uint8Array(this.#bodyLength);
          let fill = 0;
          for (const part of this.#parts) {
            body.set(part, fill);
            fill += part.length;
          }
          frames.push({ type: this.#type, body });
          this.#parts = null;
        }
      } else if (this.#headFill === 0 && end - at >= HEADER_BYTES) {
        // Fast path: the whole header is in this chunk.
        const length = this.#start(chunk, at);
        at += HEADER_BYTES;
        at = this.#begin(chunk, at, end, length, frames);
      } else {
        // Collect a header split across chunks.
        const take = Math.min(HEADER_BYTES - this.#headFill, end - at);
        this.#head.set(chunk.subarray(at, at + take), this.#headFill);
        this.#headFill += take;
        at += take;
        if (this.#headFill === HEADER_BYTES) {
          this.#headFill = 0;
          const length = this.#start(this.#head, 0);
          at = this.#begin(chunk, at, end, length, frames);
        }
      }
    }
    return frames;
  }

  /** Reads and checks the header at `bytes[at]`; returns the body length. */
  #start(bytes: Uint8Array, at: number): number {
    this.#type = bytes[at]!;
    const length = ((bytes[at + 1]! << 24) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 8) |
      bytes[at + 4]!) >>> 0;
    if (length > this.#maxBody) {
      this.#error = new ForesightError(
        "FRAME_TOO_LARGE",
        `Cannot decode frame: body length ${length} exceeds limit ${this.#maxBody}`,
      );
      throw this.#error;
    }
    return length;
  }

  /** Starts a body of `length` bytes at `chunk[at]`; returns the new read position. */
  #begin(chunk: Uint8Array, at: number, end: number, length: number, frames: Frame[]): number {
    if (end - at >= length) {
      frames.push({ type: this.#type, body: chunk.subarray(at, at + length) });
      return at + length;
    }
    this.#parts = [chunk.subarray(at, end)];
    this.#bodyLength = length;
    this.#bodyFill = end - at;
    return end;
  }
}
