/**
 * The Foresight wire protocol: frames (a type byte, a u32 body length, the
 * body), message schemas, and the codec between them. Pure code: no I/O, Web
 * standards only.
 *
 * @example
 * ```ts
 * import { encodeMessage, MessageDecoder } from "./protocol/mod.ts";
 *
 * const decoder = new MessageDecoder();
 * const bytes = encodeMessage({ type: "request", file: 7 });
 * decoder.push(bytes); // [{ type: "request", file: 7 }]
 * ```
 *
 * @module
 */

export {
  CHUNK_BYTES,
  DEFAULT_MAX_BODY,
  encodeFrame,
  type Frame,
  FrameDecoder,
  type FrameDecoderOptions,
  HEADER_BYTES,
  type StreamedFrames,
  writeHeader,
} from "./frame.ts";
export {
  ControlMessageSchema,
  type ControlName,
  type ControlSchemas,
  controlSchemas,
  DEFAULT_MAX_LIST,
  MAX_FILE_ID,
  type MessageName,
  messageName,
  MessageType,
  PROTOCOL_VERSION,
} from "./messages.ts";
export type {
  AuthMessage,
  CacheAddress,
  CachesMessage,
  CatalogueMessage,
  ChallengeMessage,
  ChunkMessage,
  ControlMessage,
  DoneMessage,
  ErrorMessage,
  FileMessage,
  HelloMessage,
  HitMessage,
  ListMessage,
  LostMessage,
  Message,
  MissMessage,
  PingMessage,
  PlanMessage,
  RefuseMessage,
  RejoinMessage,
  ReleaseMessage,
  RequestMessage,
  StartMessage,
  StopMessage,
  WelcomeMessage,
} from "./control_message.ts";
export {
  CHUNK_PIECES,
  decodeMessage,
  encodeChunk,
  encodeMessage,
  MessageDecoder,
  type MessageDecoderOptions,
  type MessageLimits,
} from "./codec.ts";
export {
  type EngineEvent,
  type MainEvent,
  parseRoleEvent,
  type RoleEvent,
  type RoleEventOf,
  RoleEventSchema,
  type RoleName,
} from "./role_event.ts";
