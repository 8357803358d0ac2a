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
 * Payload size of one `chunk` message the roles send (64 KiB); the pacer's
 * unit and a cache's page size. Chosen by measurement: `bench/tuning.ts`
 * sweeps it (fidelity, relay CPU per GiB, memory); `--chunk-bytes` overrides it.
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
  /**
   * The body bytes; may be a view into a chunk passed to {@link FrameDecoder.push}.
   * For a frame of the streamed type ({@link FrameDecoderOptions.streamed}): one
   * piece of the body after its prefix.
   */
  body: Uint8Array;
  /**
   * Only for a frame of the streamed type: the body's first `prefix` bytes,
   * the same for every piece of the frame (a view, or a copy when it arrived split).
   */
  prefix?: Uint8Array;
}

/**
 * Frames of one type that a {@link FrameDecoder} hands over in pieces, as
 * their bytes arrive, instead of copying a body that spans pushed chunks.
 * @example `const streamed: StreamedFrames = { type: 0x0b, prefix: 4 };`
 */
export interface StreamedFrames {
  /** The type byte of the frames streamed. */
  readonly type: number;
  /**
   * Body bytes every piece carries as {@link Frame.prefix} (e.g. a chunk's
   * file id); a frame whose body is shorter is decoded whole, as usual.
   */
  readonly prefix: number;
}

/**
 * Options of {@link FrameDecoder}.
 * @example `const options: FrameDecoderOptions = { maxBody: 65_545 };`
 */
export interface FrameDecoderOptions {
  /** Largest body accepted, in bytes (default {@link DEFAULT_MAX_BODY}). */
  maxBody?: number;
  /** Frames handed over in pieces as they arrive (default: none, every frame whole). */
  streamed?: StreamedFrames;
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
 * returned as a zero-copy view (so do not reuse a chunk after pushing it).
 * Frames of the {@link FrameDecoderOptions.streamed} type are not held at
 * all: each push returns the piece of their body it carries, as a view, with
 * the body's prefix, so a payload is never copied here. After it throws, the
 * stream is out of sync: every later `push` throws the same error.
 *
 * @example
 * ```ts
 * const decoder = new FrameDecoder({ maxBody: 1024 });
 * const bytes = encodeFrame(5, new Uint8Array([1, 2, 3]));
 * decoder.push(bytes.subarray(0, 4)); // [] — header still incomplete
 * decoder.push(bytes.subarray(4));    // [{ type: 5, body: [1, 2, 3] }]
 * decoder.idle;                       // true
 * const pieces = new FrameDecoder({ streamed: { type: 5, prefix: 1 } });
 * pieces.push(bytes.subarray(0, 7)); // [{ type: 5, prefix: [1], body: [2] }]
 * pieces.push(bytes.subarray(7));    // [{ type: 5, prefix: [1], body: [3] }]
 * ```
 */
export class FrameDecoder {
  readonly #maxBody: number;
  readonly #streamed: StreamedFrames | undefined;
  /** Header bytes (and a streamed frame's prefix) of the pending frame, while they arrive. */
  readonly #head: Uint8Array;
  #headFill = 0;
  /** Type and body of the pending frame, once its header is complete. */
  #type = 0;
  /** The pending body's parts received so far (views, not copies), or null. */
  #parts: Uint8Array[] | null = null;
  #bodyLength = 0;
  #bodyFill = 0;
  /** A streamed frame's prefix still arriving into #head: its body length, else -1. */
  #prefixOf = -1;
  /** The prefix of the streamed frame whose body is arriving, or null. */
  #prefix: Uint8Array | null = null;
  #error: ForesightError | null = null;
  #completed = 0;

  /**
   * @param options `maxBody`: the largest body accepted, 0..2^32-1;
   *   `streamed`: frames handed over in pieces
   * @throws {ForesightError} `CONFIG` when `maxBody` or `streamed` is out of range
   */
  constructor(options: FrameDecoderOptions = {}) {
    const maxBody = options.maxBody ?? DEFAULT_MAX_BODY;
    if (!Number.isInteger(maxBody) || maxBody < 0 || maxBody > MAX_U32) {
      throw new ForesightError(
        "CONFIG",
        `Cannot create frame decoder: maxBody ${maxBody} is not an integer in 0..${MAX_U32}`,
      );
    }
    const streamed = options.streamed;
    if (
      streamed !== undefined &&
      !(Number.isInteger(streamed.type) && streamed.type >= 0 && streamed.type <= 0xff &&
        Number.isInteger(streamed.prefix) && streamed.prefix >= 0 && streamed.prefix <= 64)
    ) {
      throw new ForesightError(
        "CONFIG",
        `Cannot create frame decoder: streamed type ${streamed.type} is not a byte ` +
          `or its prefix ${streamed.prefix} is not an integer in 0..64`,
      );
    }
    this.#maxBody = maxBody;
    this.#streamed = streamed;
    this.#head = new Uint8Array(HEADER_BYTES + (streamed?.prefix ?? 0));
  }

  /** Bytes of the pending partial frame received so far (header included). */
  get buffered(): number {
    if (this.#prefix !== null) return HEADER_BYTES + this.#prefix.length + this.#bodyFill;
    return this.#parts === null ? this.#headFill : HEADER_BYTES + this.#bodyFill;
  }

  /**
   * Bytes of the pending frame in all (header included), once its header has
   * arrived; undefined while no frame is pending or its header is incomplete.
   * With {@link buffered}, what a timeout can report ("12 of 65545 bytes").
   */
  get frameBytes(): number | undefined {
    if (this.#prefixOf >= 0) return HEADER_BYTES + this.#prefixOf;
    if (this.#prefix !== null) return HEADER_BYTES + this.#prefix.length + this.#bodyLength;
    return this.#parts === null ? undefined : HEADER_BYTES + this.#bodyLength;
  }

  /** True when no partial frame is pending; false at EOF means the stream was truncated. */
  get idle(): boolean {
    return this.#parts === null && this.#prefix === null && this.#headFill === 0;
  }

  /** Frames complete so far: a streamed frame counts once, with its last piece. */
  get completed(): number {
    return this.#completed;
  }

  /**
   * Consumes `chunk` and returns the frames it completes (and the pieces of
   * streamed frames it carries), in order.
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
      const prefix = this.#prefix;
      if (prefix !== null) {
        // A streamed body: hand over the piece this chunk carries, as a view.
        const take = Math.min(this.#bodyLength - this.#bodyFill, end - at);
        frames.push({ type: this.#type, prefix, body: chunk.subarray(at, at + take) });
        this.#bodyFill += take;
        at += take;
        if (this.#bodyFill === this.#bodyLength) {
          this.#prefix = null;
          this.#completed++;
        }
      } else if (this.#parts !== null) {
        at = this.#continue(chunk, at, end, frames);
      } else if (this.#headFill === 0 && end - at >= HEADER_BYTES) {
        // Fast path: the whole header is in this chunk.
        const length = this.#start(chunk, at);
        const p = this.#prefixBytes(length);
        if (p < 0) {
          at = this.#begin(chunk, at + HEADER_BYTES, end, length, frames);
        } else if (end - at >= HEADER_BYTES + p) {
          const head = chunk.subarray(at + HEADER_BYTES, at + HEADER_BYTES + p);
          at = this.#stream(head, chunk, at + HEADER_BYTES + p, length - p, frames);
        } else {
          this.#prefixOf = length;
          this.#head.set(chunk.subarray(at, end));
          this.#headFill = end - at;
          at = end;
        }
      } else {
        at = this.#collect(chunk, at, end, frames);
      }
    }
    return frames;
  }

  /** Continues a pending body from `chunk[at]`; returns the new read position. */
  #continue(chunk: Uint8Array, at: number, end: number, frames: Frame[]): number {
    // Keep views of what arrived (memory grows with the bytes received, never
    // with the length announced), and copy them once into the body when it is complete.
    const parts = this.#parts!;
    const take = Math.min(this.#bodyLength - this.#bodyFill, end - at);
    parts.push(chunk.subarray(at, at + take));
    this.#bodyFill += take;
    if (this.#bodyFill === this.#bodyLength) {
      const body = new Uint8Array(this.#bodyLength);
      let fill = 0;
      for (const part of parts) {
        body.set(part, fill);
        fill += part.length;
      }
      frames.push({ type: this.#type, body });
      this.#parts = null;
      this.#completed++;
    }
    return at + take;
  }

  /** Collects a header (and a streamed frame's prefix) split across chunks. */
  #collect(chunk: Uint8Array, at: number, end: number, frames: Frame[]): number {
    const need = HEADER_BYTES + (this.#prefixOf >= 0 ? this.#head.length - HEADER_BYTES : 0);
    const take = Math.min(need - this.#headFill, end - at);
    this.#head.set(chunk.subarray(at, at + take), this.#headFill);
    this.#headFill += take;
    at += take;
    if (this.#headFill < need) return at;
    if (this.#prefixOf >= 0) {
      const length = this.#prefixOf;
      this.#prefixOf = -1;
      this.#headFill = 0;
      // A copy: the pieces of this frame outlive the next header collected here.
      const head = this.#head.slice(HEADER_BYTES);
      return this.#stream(head, chunk, at, length - head.length, frames);
    }
    const length = this.#start(this.#head, 0);
    if (this.#prefixBytes(length) >= 0) {
      this.#prefixOf = length; // go on collecting its prefix
      return at;
    }
    this.#headFill = 0;
    return this.#begin(chunk, at, end, length, frames);
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

  /** The prefix length when the frame just started streams, else -1. */
  #prefixBytes(length: number): number {
    const s = this.#streamed;
    return s !== undefined && s.type === this.#type && length >= s.prefix ? s.prefix : -1;
  }

  /** Starts a streamed body of `rest` bytes after its prefix at `chunk[at]`. */
  #stream(
    prefix: Uint8Array,
    chunk: Uint8Array,
    at: number,
    rest: number,
    frames: Frame[],
  ): number {
    if (rest === 0) {
      frames.push({ type: this.#type, prefix, body: chunk.subarray(at, at) });
      this.#completed++;
      return at;
    }
    this.#prefix = prefix;
    this.#bodyLength = rest;
    this.#bodyFill = 0;
    return at;
  }

  /** Starts a body of `length` bytes at `chunk[at]`; returns the new read position. */
  #begin(chunk: Uint8Array, at: number, end: number, length: number, frames: Frame[]): number {
    if (end - at >= length) {
      frames.push({ type: this.#type, body: chunk.subarray(at, at + length) });
      this.#completed++;
      return at + length;
    }
    this.#parts = [chunk.subarray(at, end)];
    this.#bodyLength = length;
    this.#bodyFill = end - at;
    return end;
  }
}
