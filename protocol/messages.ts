/**
 * Message types of the wire protocol and the valibot schemas of their bodies
 * (the TypeScript type of each message is in control_message.ts).
 *
 * | code | type    | body                                                              |
 * | ---- | ------- | ----------------------------------------------------------------- |
 * | 0x01 | hello   | `{v, role, index?, advertise?: {host, port}, capacity?, runtime?}` |
 * | 0x02 | welcome | `{v, index, scenario, now?, received?, catalogue?}` (scenario_schema.ts) |
 * | 0x03 | caches  | `{caches: [{index, host, port, generation?}]}`                    |
 * | 0x04 | list    | `{files: [id, ...]}` ascending, distinct                          |
 * | 0x05 | start   | `{next?}` (to a cache: the origin's first hint, id or null)       |
 * | 0x06 | stop    | `{reason}`                                                        |
 * | 0x07 | request | `{file, at?, again?}` (at: when it was decided; again: resend a wrong copy) |
 * | 0x08 | file    | `{file, size, count, next: id or null, due?, sha256?, again?}` then `chunk`s |
 * | 0x09 | hit     | `{file, size, due?, sha256?}` then `chunk`s                       |
 * | 0x0a | miss    | `{file, next?}` (next: the origin's new hint to a cache)          |
 * | 0x0b | chunk   | binary: u32 big-endian file id, then the payload                  |
 * | 0x0c | done    | `{files, bytes}`                                                  |
 * | 0x0d | error   | `{code, message}`                                                 |
 * | 0x0e | plan    | `{routes: [[file, source], ...]}`, source -1 = origin, k = cache k |
 * | 0x0f | challenge | `{nonce}` 64 hex digits: prove you hold the shared secret        |
 * | 0x10 | auth    | `{mac}` 64 hex digits: HMAC-SHA-256 of the nonce and role          |
 * | 0x11 | release | `{client, files: [id, ...]}`: that client will not fetch these here; forgo what it still owed |
 * | 0x12 | rejoin  | `{cache, generation, host, port, files: [id, ...]}`: a restarted cache is back at host:port; fetch these files from it, in this order |
 * | 0x13 | lost    | `{cache, generation}` (client → origin): this client cannot reach that cache any more |
 * | 0x14 | ping    | `{}` keepalive, either way, after the handshake; never shown to the roles (see live/peer.ts) |
 * | 0x15 | catalogue | `{first, names, sizes, sha256}` origin → cache or client after `welcome`: names, sizes and digests of files first.. |
 * | 0x16 | refuse  | `{file, code, message}` origin → client: that file cannot be served (e.g. FILE_CHANGED) |
 *
 * `at` and `due` are clock times (epoch ms): when a request was decided, and
 * when a transfer is scheduled to end (see core/links/pacer.ts).
 *
 * Control bodies are UTF-8 JSON objects. Unknown fields are ignored (forward
 * compatibility); known fields are checked strictly: integers, id ranges,
 * list order and list length. File ids are integers 1..2^31-1.
 *
 * @module
 */

import * as v from "valibot";
import { ForesightError } from "../errors.ts";
import type { ControlMessage } from "./control_message.ts";
import { ScenarioSchema } from "./scenario_schema.ts";

/**
 * Protocol version carried by `hello` and `welcome`.
 * @example `{ type: "hello", v: PROTOCOL_VERSION, role: "client" }`
 */
export const PROTOCOL_VERSION = 1;
/**
 * Largest file id (2^31-1); ids start at 1.
 * @example `const valid = Number.isInteger(id) && id >= 1 && id <= MAX_FILE_ID;`
 */
export const MAX_FILE_ID = 2_147_483_647;
/**
 * Longest list (`list.files`, `caches.caches`, `plan.routes`) accepted by default.
 * @example `new MessageDecoder({ maxList: 2 * DEFAULT_MAX_LIST })`
 */
export const DEFAULT_MAX_LIST = 100_000;

/**
 * Type byte of each message.
 *
 * @example
 * ```ts
 * MessageType.chunk; // 0x0b
 * ```
 */
export const MessageType = {
  hello: 0x01,
  welcome: 0x02,
  caches: 0x03,
  list: 0x04,
  start: 0x05,
  stop: 0x06,
  request: 0x07,
  file: 0x08,
  hit: 0x09,
  miss: 0x0a,
  chunk: 0x0b,
  done: 0x0c,
  error: 0x0d,
  plan: 0x0e,
  challenge: 0x0f,
  auth: 0x10,
  release: 0x11,
  rejoin: 0x12,
  lost: 0x13,
  ping: 0x14,
  catalogue: 0x15,
  refuse: 0x16,
} as const;

/**
 * Name of a message type.
 * @example `const name: MessageName = "hello";`
 */
export type MessageName = keyof typeof MessageType;
/**
 * Name of a message type whose body is JSON (every type but `chunk`).
 * @example `const name: ControlName = "request";`
 */
export type ControlName = Exclude<MessageName, "chunk">;

const NAMES: (MessageName | undefined)[] = new Array(256).fill(undefined);
for (const [name, code] of Object.entries(MessageType)) NAMES[code] = name as MessageName;

/**
 * The name of the message type with type byte `code`, or `undefined` when unknown.
 *
 * @example
 * ```ts
 * messageName(0x0b); // "chunk"
 * messageName(0x7f); // undefined
 * ```
 */
export function messageName(code: number): MessageName | undefined {
  return NAMES[code];
}

const int = (min: number, max: number) =>
  v.pipe(v.number(), v.safeInteger(), v.minValue(min), v.maxValue(max));
const Count = int(0, Number.MAX_SAFE_INTEGER);
const AnyInt = int(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
const FileId = int(1, MAX_FILE_ID);
const Host = v.pipe(v.string(), v.minLength(1), v.maxLength(255));
const Port = int(0, 65_535);
/** 32 bytes as 64 lowercase hex digits. */
const Hex64 = v.pipe(
  v.string(),
  v.regex(/^[0-9a-f]{64}$/, "Invalid hex: Expected 64 lowercase hex digits"),
);
/** A clock time in epoch milliseconds (fractions allowed). */
const Instant = v.pipe(v.number(), v.finite());

/** Index of the first element not greater than its predecessor, or -1. */
function disorder(xs: readonly number[]): number {
  for (let i = 1; i < xs.length; i++) if (xs[i]! <= xs[i - 1]!) return i;
  return -1;
}

const Ascending = v.check<number[], (issue: v.CheckIssue<number[]>) => string>(
  (xs) => disorder(xs) < 0,
  ({ input }) => {
    const i = disorder(input);
    const got = `${input[i]} after ${input[i - 1]} at index ${i}`;
    return `Invalid order: Expected ascending distinct ids but received ${got}`;
  },
);

/**
 * Builds the body schemas, one per control type, with lists capped at
 * `maxList`. Its return type is inferred on purpose: the check below compares
 * it with the hand-written {@link ControlMessage}.
 */
function build(maxList: number) {
  const list = <T extends v.GenericSchema>(item: T) =>
    v.pipe(
      v.array(item),
      v.maxLength(maxList, `Invalid length: Expected at most ${maxList} items`),
    );
  const schemas = {
    hello: v.object({
      type: v.literal("hello"),
      v: AnyInt,
      role: v.picklist(["cache", "client", "probe"]),
      index: v.optional(Count),
      advertise: v.optional(v.object({ host: Host, port: Port })),
      capacity: v.optional(Count),
      runtime: v.optional(v.picklist(["node", "deno", "bun"])),
    }),
    welcome: v.object({
      type: v.literal("welcome"),
      v: AnyInt,
      index: Count,
      scenario: ScenarioSchema,
      now: v.optional(v.pipe(v.number(), v.finite())),
      received: v.optional(v.pipe(v.number(), v.finite())),
      catalogue: v.optional(Count),
    }),
    caches: v.object({
      type: v.literal("caches"),
      caches: list(
        v.object({ index: Count, host: Host, port: Port, generation: v.optional(Count) }),
      ),
    }),
    list: v.object({ type: v.literal("list"), files: v.pipe(list(FileId), Ascending) }),
    start: v.object({ type: v.literal("start"), next: v.optional(v.nullable(FileId)) }),
    stop: v.object({ type: v.literal("stop"), reason: v.string() }),
    request: v.object({
      type: v.literal("request"),
      file: FileId,
      at: v.optional(Instant),
      again: v.optional(v.boolean()),
    }),
    file: v.object({
      type: v.literal("file"),
      file: FileId,
      size: Count,
      count: Count,
      next: v.nullable(FileId),
      due: v.optional(Instant),
      sha256: v.optional(Hex64),
      again: v.optional(v.boolean()),
    }),
    hit: v.object({
      type: v.literal("hit"),
      file: FileId,
      size: Count,
      due: v.optional(Instant),
      sha256: v.optional(Hex64),
    }),
    miss: v.object({ type: v.literal("miss"), file: FileId, next: v.optional(v.nullable(FileId)) }),
    done: v.object({ type: v.literal("done"), files: Count, bytes: Count }),
    error: v.object({ type: v.literal("error"), code: v.string(), message: v.string() }),
    challenge: v.object({ type: v.literal("challenge"), nonce: Hex64 }),
    auth: v.object({ type: v.literal("auth"), mac: Hex64 }),
    release: v.object({ type: v.literal("release"), client: Count, files: list(FileId) }),
    rejoin: v.object({
      type: v.literal("rejoin"),
      cache: Count,
      generation: Count,
      host: Host,
      port: Port,
      files: list(FileId),
    }),
    lost: v.object({ type: v.literal("lost"), cache: Count, generation: Count }),
    ping: v.object({ type: v.literal("ping") }),
    catalogue: v.pipe(
      v.object({
        type: v.literal("catalogue"),
        first: FileId,
        names: list(v.pipe(v.string(), v.minLength(1), v.maxLength(4096))),
        sizes: list(Count),
        sha256: list(Hex64),
      }),
      v.check(
        (m) => m.names.length === m.sizes.length && m.names.length === m.sha256.length,
        "Invalid catalogue: Expected as many sizes and digests as names",
      ),
    ),
    refuse: v.object({
      type: v.literal("refuse"),
      file: FileId,
      code: v.string(),
      message: v.string(),
    }),
    plan: v.object({
      type: v.literal("plan"),
      routes: list(v.tuple([FileId, int(-1, Number.MAX_SAFE_INTEGER)])),
    }),
  } as const;
  const s = schemas;
  // deno-fmt-ignore
  const union = v.variant("type", [
    s.hello, s.welcome, s.caches, s.list, s.start, s.stop, s.request,
    s.file, s.hit, s.miss, s.done, s.error, s.plan, s.challenge, s.auth, s.release,
    s.rejoin, s.lost, s.ping, s.catalogue, s.refuse,
  ]);
  return { schemas, union };
}

/**
 * Schemas of the control messages, per type and as one `v.variant` union on `type`.
 * @example `const { schemas, union }: ControlSchemas = controlSchemas();`
 */
export interface ControlSchemas {
  /** One schema per control type; its output is that type's message. */
  readonly schemas: {
    readonly [N in ControlName]: v.GenericSchema<unknown, Extract<ControlMessage, { type: N }>>;
  };
  /** Every control message: a `v.variant` on `type`. */
  readonly union: v.GenericSchema<unknown, ControlMessage>;
}

/**
 * True when `A` and `B` are identical: stricter than assignable both ways, so
 * an optional field or a `readonly` on one side only makes it false.
 */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true
  : false;
/** Fails to compile unless every property of `T` is `true` (the error names the property). */
type Expect<T extends { [N in ControlName | "union" | "names"]: true }> = T;
type Built = ReturnType<typeof build>;
// The schemas' output and the hand-written message types (control_message.ts)
// are the same types, message by message: a field added, dropped, made
// optional or retyped on one side only fails to compile here, naming the
// message. So must the union and the type names.
type _SchemasMatchMessages = Expect<
  & {
    [N in ControlName]: Same<
      v.InferOutput<Built["schemas"][N]>,
      Extract<ControlMessage, { type: N }>
    >;
  }
  & { union: Same<v.InferOutput<Built["union"]>, ControlMessage> }
  & { names: Same<ControlMessage["type"], ControlName> }
>;

const cache = new Map<number, ControlSchemas>();

/**
 * The valibot schemas of every control message (body fields plus `type`), with
 * lists capped at `maxList` items. Built once per `maxList` and cached.
 *
 * @param maxList longest list accepted (default {@link DEFAULT_MAX_LIST})
 * @throws {ForesightError} `CONFIG` when `maxList` is not a non-negative integer
 * @example
 * ```ts
 * const { schemas, union } = controlSchemas(1000);
 * v.parse(schemas.request, { type: "request", file: 7 });
 * v.is(union, { type: "start" }); // true
 * ```
 */
export function controlSchemas(maxList: number = DEFAULT_MAX_LIST): ControlSchemas {
  if (!Number.isSafeInteger(maxList) || maxList < 0) {
    throw new ForesightError(
      "CONFIG",
      `Cannot build message schemas: maxList ${maxList} is not a non-negative integer`,
    );
  }
  let built = cache.get(maxList);
  if (built === undefined) cache.set(maxList, built = build(maxList));
  return built;
}

/**
 * Schema of every control message: a `v.variant` on `type`, default limits.
 *
 * @example
 * ```ts
 * v.parse(ControlMessageSchema, { type: "miss", file: 3 });
 * ```
 */
export const ControlMessageSchema: ControlSchemas["union"] = controlSchemas().union;
