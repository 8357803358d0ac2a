/**
 * The messages of the wire protocol as TypeScript types: one interface per
 * control message (a JSON body), {@link ChunkMessage} (binary), and their
 * unions. The valibot schemas in messages.ts check these same shapes; a
 * compile-time check there keeps the two in step.
 *
 * File ids are integers 1..2^31-1; counts, indexes and sizes are
 * non-negative safe integers; times are epoch milliseconds.
 *
 * @module
 */

import type { Scenario } from "./scenario_schema.ts";

/**
 * 0x01, first message on every connection: who is connecting.
 * @example `const msg: HelloMessage = { type: "hello", v: PROTOCOL_VERSION, role: "client" };`
 */
export interface HelloMessage {
  /** Discriminant. */
  type: "hello";
  /** Protocol version of the sender ({@link PROTOCOL_VERSION}). */
  v: number;
  /** The sender's role; a `probe` only checks that the peer answers. */
  role: "cache" | "client" | "probe";
  /** The index the sender asks for (a restarted cache asks for its old one). */
  index?: number;
  /** Where a cache's clients reach it, when not the address it connected from. */
  advertise?: { host: string; port: number };
  /** A cache's capacity in bytes (the roles use the scenario's `capacityKiB`). */
  capacity?: number;
  /** The sender's runtime. */
  runtime?: "node" | "deno" | "bun";
}

/**
 * 0x02, the server's answer to `hello` (the origin's, or a cache's to a client): an index and
 * the run's scenario.
 * @example `const msg: WelcomeMessage = { type: "welcome", v: 1, index: 0, scenario: CANONICAL };`
 */
export interface WelcomeMessage {
  /** Discriminant. */
  type: "welcome";
  /** Protocol version of the server (the origin, or a cache to a client). */
  v: number;
  /** The index the origin gave the sender (from a cache: the cache's own). */
  index: number;
  /** Every parameter of the run. */
  scenario: Scenario;
  /**
   * To a cache or client, when the origin serves a store other than the
   * synthetic files: how many catalogue entries follow (in {@link CatalogueMessage}s,
   * before `caches`). Absent: the synthetic files, whose catalogue a client
   * derives from the scenario.
   */
  catalogue?: number;
  /**
   * The sender's clock (epoch ms) when it sent this: with {@link received},
   * the joining side measures how far its peer's clock is from its own (as
   * NTP does), and translates the times it exchanges with it (`request.at`,
   * `file.due`, `hit.due`).
   */
  now?: number;
  /** The sender's clock (epoch ms) when the joining side's last handshake message had arrived. */
  received?: number;
}

/**
 * Where a client reaches one cache (an item of {@link CachesMessage}).
 * @example `const at: CacheAddress = { index: 0, host: "127.0.0.1", port: 9001 };`
 */
export interface CacheAddress {
  /** The cache's index. */
  index: number;
  /** Host name or address, 1..255 characters. */
  host: string;
  /** TCP port, 0..65535. */
  port: number;
  /** How many caches held this place before this one (absent: 0, the first). */
  generation?: number | undefined;
}

/**
 * 0x03, origin → client: the caches to fetch from. Sent once every place is
 * taken, and again if a cache takes a lost one's place before the warm-up: a
 * place left out has no cache (its files come from the origin).
 * @example `const msg: CachesMessage = { type: "caches", caches: [{ index: 0, host: "127.0.0.1", port: 9001 }] };`
 */
export interface CachesMessage {
  /** Discriminant. */
  type: "caches";
  /** Every cache, at most `maxList` of them. */
  caches: CacheAddress[];
}

/**
 * 0x04, client → origin: the client's whole request list.
 * @example `const msg: ListMessage = { type: "list", files: [3, 7, 12] };`
 */
export interface ListMessage {
  /** Discriminant. */
  type: "list";
  /** File ids, ascending and distinct, at most `maxList` of them. */
  files: number[];
}

/**
 * 0x05, origin → cache or client: the run begins (cache → origin: its warm-up is in).
 * @example `const msg: StartMessage = { type: "start", next: 42 };`
 */
export interface StartMessage {
  /** Discriminant. */
  type: "start";
  /** To a cache: the origin's first hint (the file to ask for), or null for none. */
  next?: number | null;
}

/**
 * 0x06, origin → anyone: the run is over.
 * @example `const msg: StopMessage = { type: "stop", reason: "done" };`
 */
export interface StopMessage {
  /** Discriminant. */
  type: "stop";
  /** Why, for logs. */
  reason: string;
}

/**
 * 0x07, client → cache or origin, or cache → origin: send this file.
 * @example `const msg: RequestMessage = { type: "request", file: 7, at: Date.now() };`
 */
export interface RequestMessage {
  /** Discriminant. */
  type: "request";
  /** The file id. */
  file: number;
  /** When the request was decided (epoch ms). */
  at?: number;
  /**
   * To the origin: the copy that came was wrong (its digest or bytes did not
   * match); send it again, outside the demand ledger. Answered by a `file`
   * with `again: true` or a {@link RefuseMessage}.
   */
  again?: boolean;
}

/**
 * 0x08, origin → cache or client: a file follows as `chunk`s.
 * @example `const msg: FileMessage = { type: "file", file: 7, size: 7168, count: 2, next: null };`
 */
export interface FileMessage {
  /** Discriminant. */
  type: "file";
  /** The file id. */
  file: number;
  /** Its size in bytes. */
  size: number;
  /** How many requests for it the receiving cache now owes (0 to a client). */
  count: number;
  /** The origin's next hint to a cache, or null for none. */
  next: number | null;
  /** When the transfer is scheduled to end (epoch ms). */
  due?: number;
  /** SHA-256 of the file's bytes, 64 lowercase hex digits (files of a real store). */
  sha256?: string;
  /** To a client: this answers its `request` with `again: true`. */
  again?: boolean;
}

/**
 * 0x09, cache → client: the requested file follows as `chunk`s.
 * @example `const msg: HitMessage = { type: "hit", file: 7, size: 7168 };`
 */
export interface HitMessage {
  /** Discriminant. */
  type: "hit";
  /** The file id. */
  file: number;
  /** Its size in bytes. */
  size: number;
  /** When the transfer is scheduled to end (epoch ms). */
  due?: number;
  /** SHA-256 of the file's bytes as the origin's header said it (passed on). */
  sha256?: string;
}

/**
 * 0x0a, cache → client or origin → cache: the file is not coming from here.
 * @example `const msg: MissMessage = { type: "miss", file: 7 };`
 */
export interface MissMessage {
  /** Discriminant. */
  type: "miss";
  /** The file id. */
  file: number;
  /** To a cache: the origin's new hint, or null for none. */
  next?: number | null;
}

/**
 * 0x0c, client → origin: the client holds every file of its list.
 * @example `const msg: DoneMessage = { type: "done", files: 1000, bytes: 5_000_000 };`
 */
export interface DoneMessage {
  /** Discriminant. */
  type: "done";
  /** Files received. */
  files: number;
  /** Bytes received. */
  bytes: number;
}

/**
 * 0x0d, either way: the sender gives up on this connection.
 * @example `const msg: ErrorMessage = { type: "error", code: "AUTH", message: "Cannot join: bad mac" };`
 */
export interface ErrorMessage {
  /** Discriminant. */
  type: "error";
  /** A stable error code (see `ErrorCode`). */
  code: string;
  /** What could not be done and why. */
  message: string;
}

/**
 * 0x0e, origin → client: where to fetch each file from.
 * @example `const msg: PlanMessage = { type: "plan", routes: [[7, 0], [9, -1]] };`
 */
export interface PlanMessage {
  /** Discriminant. */
  type: "plan";
  /** `[file, source]` pairs: source -1 is the origin, k is cache k; at most `maxList`. */
  routes: [number, number][];
}

/**
 * 0x0f, origin or cache → newcomer: prove you hold the shared secret.
 * @example `const msg: ChallengeMessage = { type: "challenge", nonce: "ab".repeat(32) };`
 */
export interface ChallengeMessage {
  /** Discriminant. */
  type: "challenge";
  /** 32 random bytes as 64 lowercase hex digits. */
  nonce: string;
}

/**
 * 0x10, newcomer → origin or cache: the answer to a `challenge`.
 * @example `const msg: AuthMessage = { type: "auth", mac: "cd".repeat(32) };`
 */
export interface AuthMessage {
  /** Discriminant. */
  type: "auth";
  /** HMAC-SHA-256 of the nonce and the role, as 64 lowercase hex digits. */
  mac: string;
}

/**
 * 0x11, origin → cache: a client will not fetch these files here; forgo what it still owed.
 * @example `const msg: ReleaseMessage = { type: "release", client: 2, files: [7, 9] };`
 */
export interface ReleaseMessage {
  /** Discriminant. */
  type: "release";
  /** The client's index. */
  client: number;
  /** File ids, at most `maxList`. */
  files: number[];
}

/**
 * 0x12, origin → client: a restarted cache is back; fetch these files from it, in this order.
 * @example `const msg: RejoinMessage = { type: "rejoin", cache: 0, generation: 1, host: "127.0.0.1", port: 9001, files: [7] };`
 */
export interface RejoinMessage {
  /** Discriminant. */
  type: "rejoin";
  /** The cache's index. */
  cache: number;
  /** How many times that cache has joined before (its first join is 0). */
  generation: number;
  /** Where it listens now. */
  host: string;
  /** Its port now. */
  port: number;
  /** File ids, at most `maxList`. */
  files: number[];
}

/**
 * 0x13, client → origin: this client cannot reach that cache any more.
 * @example `const msg: LostMessage = { type: "lost", cache: 1, generation: 0 };`
 */
export interface LostMessage {
  /** Discriminant. */
  type: "lost";
  /** The cache's index. */
  cache: number;
  /** The generation the client knew (a later one is a different cache). */
  generation: number;
}

/**
 * 0x14, either way after the handshake: keepalive (never shown to the roles).
 * @example `const msg: PingMessage = { type: "ping" };`
 */
export interface PingMessage {
  /** Discriminant. */
  type: "ping";
}

/**
 * A message with a JSON body: a discriminated union on `type`.
 * @example `const msg: ControlMessage = { type: "request", file: 7 };`
 */
export type ControlMessage =
  | HelloMessage
  | WelcomeMessage
  | CachesMessage
  | ListMessage
  | StartMessage
  | StopMessage
  | RequestMessage
  | FileMessage
  | HitMessage
  | MissMessage
  | DoneMessage
  | ErrorMessage
  | PlanMessage
  | ChallengeMessage
  | AuthMessage
  | ReleaseMessage
  | RejoinMessage
  | LostMessage
  | PingMessage
  | CatalogueMessage
  | RefuseMessage;

/**
 * 0x15, origin → cache or client, after `welcome` (as many as it takes to carry
 * `welcome.catalogue` entries, each frame under the frame limit): the names,
 * sizes and SHA-256 digests of files `first`, `first + 1`, ….
 * @example `const msg: CatalogueMessage = { type: "catalogue", first: 1, names: ["a.txt"], sizes: [3], sha256: ["ba78…"] };`
 */
export interface CatalogueMessage {
  /** Discriminant. */
  type: "catalogue";
  /** Id of the first entry; the next message starts where this one ends. */
  first: number;
  /** Names, `/`-separated paths relative to the store's root. */
  names: string[];
  /** Sizes in bytes, one per name. */
  sizes: number[];
  /** SHA-256 digests in lowercase hex, one per name. */
  sha256: string[];
}

/**
 * 0x16, origin → client: the origin cannot serve this file (e.g. `FILE_CHANGED`:
 * it changed on disk after it was listed). The client counts it failed.
 * @example `const msg: RefuseMessage = { type: "refuse", file: 7, code: "FILE_CHANGED", message: "Cannot serve \"a.txt\": …" };`
 */
export interface RefuseMessage {
  /** Discriminant. */
  type: "refuse";
  /** The file id. */
  file: number;
  /** A stable error code (`errors.ts`). */
  code: string;
  /** What could not be done, naming the file. */
  message: string;
}

/**
 * 0x0b, the binary message carrying file bytes.
 * @example `const msg: ChunkMessage = { type: "chunk", file: 7, data };`
 */
export interface ChunkMessage {
  /** Discriminant. */
  type: "chunk";
  /** File id, 1..2^31-1. */
  file: number;
  /** Payload bytes (at most 64 KiB by convention). */
  data: Uint8Array;
}

/**
 * Any protocol message: a discriminated union on `type`.
 * @example `if (msg.type === "chunk") store(msg.file, msg.data);`
 */
export type Message = ControlMessage | ChunkMessage;
