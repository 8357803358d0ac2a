/**
 * Message codec: turns {@link Message}s into frames and frames back into
 * validated messages. Control bodies are UTF-8 JSON checked with valibot; a
 * `chunk` body is a u32 big-endian file id followed by the payload, decoded
 * without copying.
 *
 * @module
 */

import * as v from "valibot";
import { ForesightError } from "../errors.ts";
import {
  encodeFrame,
  type Frame,
  FrameDecoder,
  type FrameDecoderOptions,
  HEADER_BYTES,
  type StreamedFrames,
  writeHeader,
} from "./frame.ts";
import type { Message } from "./control_message.ts";
import { controlSchemas, MAX_FILE_ID, messageName, MessageType } from "./messages.ts";

/**
 * Limits applied when validating message bodies.
 * @example `decodeMessage(frame, { maxList: 1000 })`
 */
export interface MessageLimits {
  /** Longest list accepted (default {@link DEFAULT_MAX_LIST}). */
  maxList?: number;
}

/** Bytes of the file id at the start of a `chunk` body. */
const FILE_ID_BYTES = 4;
const CHUNK = MessageType.chunk;
const MAX_U32 = 0xffff_ffff;
const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder("utf-8", { fatal: true });

function checkFile(file: number, action: string): void {
  if (!Number.isInteger(file) || file < 1 || file > MAX_FILE_ID) {
    throw new ForesightError(
      "SCHEMA_INVALID",
      `Cannot ${action} chunk: file ${file} is not an integer in 1..${MAX_FILE_ID}`,
    );
  }
}

/** "field "a.b": message" for the first valibot issue. */
function describe(issues: readonly v.BaseIssue<unknown>[]): string {
  const issue = issues[0];
  if (issue === undefined) return "invalid body";
  const path = v.getDotPath(issue);
  return path === null ? issue.message : `field "${path}": ${issue.message}`;
}

/**
 * Decoder option that hands `chunk` frames over in pieces as their bytes
 * arrive, each with the file id as its prefix: {@link decodeMessage} makes
 * each piece a `chunk` message of the same file, so a payload that spans
 * reads is never copied into one body.
 *
 * @example `new FrameDecoder({ streamed: CHUNK_PIECES })`
 */
export const CHUNK_PIECES: StreamedFrames = { type: MessageType.chunk, prefix: FILE_ID_BYTES };

/**
 * Encodes a `chunk` message in one allocation: header, 4-byte file id, payload.
 *
 * @param file file id, 1..2^31-1
 * @param data payload bytes (copied once)
 * @returns the frame bytes
 * @throws {ForesightError} `SCHEMA_INVALID` for a bad file id
 * @example
 * ```ts
 * const bytes = encodeChunk(7, new Uint8Array([1, 2]));
 * // [0x0b, 0, 0, 0, 6, 0, 0, 0, 7, 1, 2]
 * ```
 */
export function encodeChunk(file: number, data: Uint8Array): Uint8Array {
  checkFile(file, "encode");
  const length = FILE_ID_BYTES + data.length;
  if (length > MAX_U32) {
    throw new ForesightError(
      "FRAME_TOO_LARGE",
      `Cannot encode chunk: body length ${length} exceeds limit ${MAX_U32}`,
    );
  }
  const out = new Uint8Array(HEADER_BYTES + length);
  writeHeader(out, 0, CHUNK, length);
  out[HEADER_BYTES] = file >>> 24;
  out[HEADER_BYTES + 1] = (file >>> 16) & 0xff;
  out[HEADER_BYTES + 2] = (file >>> 8) & 0xff;
  out[HEADER_BYTES + 3] = file & 0xff;
  out.set(data, HEADER_BYTES + FILE_ID_BYTES);
  return out;
}

/**
 * Encodes any message into one frame. Control messages are validated against
 * their schema first, so a peer never receives a body it would reject.
 *
 * @param msg the message
 * @param limits list limit applied to the outgoing body
 * @returns the frame bytes
 * @throws {ForesightError} `SCHEMA_INVALID` when `msg` fails its schema;
 *   `UNKNOWN_TYPE` when `msg.type` is not a message type
 * @example
 * ```ts
 * const bytes = encodeMessage({ type: "request", file: 7 });
 * decodeMessage({ type: bytes[0], body: bytes.subarray(5) }); // { type: "request", file: 7 }
 * ```
 */
export function encodeMessage(msg: Message, limits: MessageLimits = {}): Uint8Array {
  if (msg.type === "chunk") return encodeChunk(msg.file, msg.data);
  const { schemas } = controlSchemas(limits.maxList);
  if (!Object.hasOwn(schemas, msg.type)) {
    throw new ForesightError("UNKNOWN_TYPE", `Cannot encode message: unknown type "${msg.type}"`);
  }
  const schema: v.GenericSchema = schemas[msg.type];
  const result = v.safeParse(schema, msg, { abortEarly: true });
  if (!result.success) {
    throw new ForesightError(
      "SCHEMA_INVALID",
      `Cannot encode ${msg.type}: ${describe(result.issues)}`,
    );
  }
  const { type: _, ...body } = result.output as Record<string, unknown>;
  return encodeFrame(MessageType[msg.type], utf8Encoder.encode(JSON.stringify(body)));
}

/**
 * Decodes and validates the message carried by `frame`. A chunk's `data` is a
 * view into `frame.body` (no copy).
 *
 * @param frame a frame from {@link FrameDecoder}
 * @param limits list limit applied to the body
 * @returns the message
 * @throws {ForesightError} `UNKNOWN_TYPE` for an unknown type byte;
 *   `SCHEMA_INVALID` for a body that is not UTF-8 JSON or fails its schema
 *   (the message names the type and field); `PROTOCOL` for a `chunk` body
 *   shorter than its 4-byte file id
 * @example
 * ```ts
 * const body = new TextEncoder().encode('{"file":7}');
 * decodeMessage({ type: 0x07, body }); // { type: "request", file: 7 }
 * ```
 */
export function decodeMessage(frame: Frame, limits: MessageLimits = {}): Message {
  const { type, body } = frame;
  if (type === CHUNK) {
    const prefix = frame.prefix;
    if (prefix !== undefined) {
      // A piece of a chunk that arrives in pieces (see CHUNK_PIECES): the file id is its prefix.
      if (prefix.length !== FILE_ID_BYTES) {
        throw new ForesightError(
          "PROTOCOL",
          `Cannot decode chunk: prefix of ${prefix.length} bytes is not the ${FILE_ID_BYTES}-byte file id`,
        );
      }
      const file = ((prefix[0]! << 24) | (prefix[1]! << 16) | (prefix[2]! << 8) | prefix[3]!) >>> 0;
      checkFile(file, "decode");
      return { type: "chunk", file, data: body };
    }
    if (body.length < FILE_ID_BYTES) {
      throw new ForesightError(
        "PROTOCOL",
        `Cannot decode chunk: body length ${body.length} is shorter than the ${FILE_ID_BYTES}-byte file id`,
      );
    }
    const file = ((body[0]! << 24) | (body[1]! << 16) | (body[2]! << 8) | body[3]!) >>> 0;
    checkFile(file, "decode");
    return { type: "chunk", file, data: body.subarray(FILE_ID_BYTES) };
  }
  const name = messageName(type);
  if (name === undefined || name === "chunk") {
    const hex = type.toString(16).padStart(2, "0");
    throw new ForesightError("UNKNOWN_TYPE", `Cannot decode frame: unknown type 0x${hex}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(utf8Decoder.decode(body));
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new ForesightError(
      "SCHEMA_INVALID",
      `Cannot decode ${name}: body is not UTF-8 JSON (${why})`,
      { cause },
    );
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new ForesightError("SCHEMA_INVALID", `Cannot decode ${name}: body is not a JSON object`);
  }
  (json as Record<string, unknown>).type = name;
  const schema: v.GenericSchema<unknown, Message> = controlSchemas(limits.maxList).schemas[name];
  const result = v.safeParse(schema, json, { abortEarly: true });
  if (!result.success) {
    throw new ForesightError("SCHEMA_INVALID", `Cannot decode ${name}: ${describe(result.issues)}`);
  }
  return result.output;
}

/**
 * Options of {@link MessageDecoder}: frame and list limits.
 * @example `new MessageDecoder({ maxBody: 1_048_576, maxList: 100_000 })`
 */
export interface MessageDecoderOptions extends FrameDecoderOptions, MessageLimits {}

/**
 * Incremental message decoder: a {@link FrameDecoder} followed by
 * {@link decodeMessage}. Push byte chunks as they arrive; get back every
 * message they complete. After it throws, every later `push` throws the same
 * error: the connection should be closed.
 *
 * @example
 * ```ts
 * const decoder = new MessageDecoder({ maxBody: 1_048_576 });
 * const bytes = encodeMessage({ type: "miss", file: 3 });
 * decoder.push(bytes.subarray(0, 7)); // []
 * decoder.push(bytes.subarray(7));    // [{ type: "miss", file: 3 }]
 * ```
 */
export class MessageDecoder {
  readonly #frames: FrameDecoder;
  readonly #limits: MessageLimits;
  #error: unknown = undefined;
  #failed = false;

  /**
   * @param options `maxBody` (bytes per frame) and `maxList` (items per list)
   * @throws {ForesightError} `CONFIG` when `maxBody` or `maxList` is out of range
   */
  constructor(options: MessageDecoderOptions = {}) {
    this.#frames = new FrameDecoder(options);
    this.#limits = { maxList: options.maxList };
    controlSchemas(options.maxList); // validates maxList
  }

  /** Bytes held for the pending partial frame. */
  get buffered(): number {
    return this.#frames.buffered;
  }

  /** True when no partial frame is pending; false at EOF means the stream was truncated. */
  get idle(): boolean {
    return this.#frames.idle;
  }

  /**
   * Consumes `chunk` and returns the messages it completes, in order.
   *
   * @param chunk the next bytes of the stream (do not reuse it afterwards:
   *   chunk payloads may be views into it)
   * @returns the complete messages (possibly none)
   * @throws {ForesightError} any error of {@link FrameDecoder.push} or {@link decodeMessage}
   */
  push(chunk: Uint8Array): Message[] {
    if (this.#failed) throw this.#error;
    try {
      const frames = this.#frames.push(chunk);
      const messages: Message[] = new Array(frames.length);
      for (let i = 0; i < frames.length; i++) messages[i] = decodeMessage(frames[i]!, this.#limits);
      return messages;
    } catch (e) {
      this.#failed = true;
      this.#error = e;
      throw e;
    }
  }
}
