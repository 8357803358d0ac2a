/**
 * fast-check arbitraries for the fuzzer: valid messages of every type and JSON
 * bodies of the wrong shape (byte-level mutations of valid frames:
 * fuzz_mutations.ts).
 *
 * @module
 */

import fc from "fast-check";
import { CANONICAL } from "../core/run/scenario.ts";
import {
  encodeFrame,
  MAX_FILE_ID,
  type Message,
  MessageType,
  PROTOCOL_VERSION,
} from "../protocol/mod.ts";

const utf8 = new TextEncoder();
/** fast-check builds null-prototype records unless told otherwise. */
const plain = { noNullPrototype: true };

/** Concatenates byte arrays. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** File ids: mostly small (a scenario's range), sometimes anywhere in 1..2^31-1. */
export const fileId = fc.oneof(
  { arbitrary: fc.integer({ min: 1, max: 400 }), weight: 3 },
  { arbitrary: fc.integer({ min: 1, max: MAX_FILE_ID }), weight: 1 },
);
const count = fc.oneof(fc.nat({ max: 1_000_000 }), fc.maxSafeNat());
const text = fc.string({ unit: "binary", maxLength: 30 });
const host = fc.constantFrom("127.0.0.1", "0.0.0.0", "::", "localhost", "h");
const port = fc.integer({ min: 0, max: 65_535 });
const hex64 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) =>
  Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("")
);
const instant = fc.double({ min: 0, max: 2e12, noNaN: true }).map((x) => x + 0);

type Arbs = { [K in Message["type"]]?: fc.Arbitrary<Extract<Message, { type: K }>> };

/**
 * One arbitrary per message type known here; every value passes
 * `encodeMessage`. Types added to the protocol later are still reached by
 * the mutations (type bytes, random JSON).
 */
export const messageArbs: Arbs = {
  hello: fc.record({
    type: fc.constant("hello"),
    v: fc.oneof(fc.constant(PROTOCOL_VERSION), fc.integer({ min: -3, max: 5 })),
    role: fc.constantFrom("cache", "client", "probe"),
    index: fc.oneof(fc.nat({ max: 4 }), count),
    advertise: fc.record({ host, port }, plain),
    capacity: count,
    runtime: fc.constantFrom("node", "deno", "bun"),
  }, { requiredKeys: ["type", "v", "role"], noNullPrototype: true }),
  welcome: fc.record({
    type: fc.constant("welcome"),
    v: fc.constant(PROTOCOL_VERSION),
    index: count,
    scenario: fc.constant({ ...CANONICAL }),
  }, plain),
  caches: fc.record({
    type: fc.constant("caches"),
    caches: fc.array(fc.record({ index: count, host, port }, plain), { maxLength: 4 }),
  }, plain),
  list: fc.record({
    type: fc.constant("list"),
    files: fc.uniqueArray(fileId, { maxLength: 30 }).map((xs) => xs.sort((a, b) => a - b)),
  }, plain),
  start: fc.constant({ type: "start" as const }),
  stop: fc.record({ type: fc.constant("stop"), reason: text }, plain),
  request: fc.record({ type: fc.constant("request"), file: fileId, at: instant }, {
    requiredKeys: ["type", "file"],
    noNullPrototype: true,
  }),
  file: fc.record({
    type: fc.constant("file"),
    file: fileId,
    size: count,
    count,
    next: fc.option(fileId, { nil: null }),
    due: instant,
  }, { requiredKeys: ["type", "file", "size", "count", "next"], noNullPrototype: true }),
  hit: fc.record({ type: fc.constant("hit"), file: fileId, size: count, due: instant }, {
    requiredKeys: ["type", "file", "size"],
    noNullPrototype: true,
  }),
  miss: fc.record({
    type: fc.constant("miss"),
    file: fileId,
    next: fc.option(fileId, { nil: null }),
  }, {
    requiredKeys: ["type", "file"],
    noNullPrototype: true,
  }),
  chunk: fc.record({
    type: fc.constant("chunk"),
    file: fileId,
    data: fc.uint8Array({ maxLength: 200 }),
  }, plain),
  done: fc.record({ type: fc.constant("done"), files: count, bytes: count }, plain),
  error: fc.record({ type: fc.constant("error"), code: text, message: text }, plain),
  plan: fc.record({
    type: fc.constant("plan"),
    routes: fc.array(fc.tuple(fileId, fc.integer({ min: -1, max: 3 })), { maxLength: 10 }),
  }, plain),
  challenge: fc.record({ type: fc.constant("challenge"), nonce: hex64 }, plain),
  auth: fc.record({ type: fc.constant("auth"), mac: hex64 }, plain),
};
// Newer types, when this version of the protocol has them.
const extra: Record<string, fc.Arbitrary<unknown>> = {
  release: fc.record({
    type: fc.constant("release"),
    client: count,
    files: fc.array(fileId, { maxLength: 10 }),
  }, plain),
  rejoin: fc.record({
    type: fc.constant("rejoin"),
    cache: count,
    generation: count,
    host: fc.constantFrom("127.0.0.1", "localhost"),
    port: fc.integer({ min: 0, max: 65_535 }),
    files: fc.array(fileId, { maxLength: 10 }),
  }, plain),
  lost: fc.record({ type: fc.constant("lost"), cache: count, generation: count }, plain),
  ping: fc.constant({ type: "ping" as const }),
};
for (const [name, arb] of Object.entries(extra)) {
  if (Object.hasOwn(MessageType, name)) {
    (messageArbs as Record<string, fc.Arbitrary<unknown>>)[name] = arb;
  }
}
const known = Object.values(messageArbs) as fc.Arbitrary<Message>[];

/** Any valid message. */
export const anyMessage: fc.Arbitrary<Message> = fc.oneof(...known);
/** Any valid message with a JSON body. */
export const anyControl: fc.Arbitrary<Exclude<Message, { type: "chunk" }>> = anyMessage.filter(
  (m): m is Exclude<Message, { type: "chunk" }> => m.type !== "chunk",
);

/** Fields each control type knows, so a mutation can add a missing one. */
const FIELDS: Record<string, string[]> = {
  hello: ["v", "role", "index", "advertise", "capacity", "runtime"],
  welcome: ["v", "index", "scenario"],
  caches: ["caches"],
  list: ["files"],
  start: ["next"],
  stop: ["reason"],
  request: ["file", "at"],
  file: ["file", "size", "count", "next", "due"],
  hit: ["file", "size", "due"],
  miss: ["file", "next"],
  done: ["files", "bytes"],
  error: ["code", "message"],
  plan: ["routes"],
  challenge: ["nonce"],
  auth: ["mac"],
  release: ["client", "files"],
  rejoin: ["cache", "generation", "host", "port", "files"],
  lost: ["cache", "generation"],
};

/** Values of the wrong kind or out of range for some field. */
export const badValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(
    0,
    -1,
    -0.5,
    1.5,
    2 ** 31,
    2 ** 31 - 1,
    2 ** 32,
    2 ** 53,
    2 ** 53 + 2,
    -(2 ** 53),
    1e308,
    null,
    true,
    "",
    "7",
    "1",
    [],
    {},
    [1],
    [1, 1],
    [3, 2, 1],
    [[1, 2]],
    [[1, -2]],
    { host: "h", port: 1 },
    { host: "", port: -1 },
    "__proto__",
    "0".repeat(64),
    "A".repeat(64),
    "0".repeat(63),
  ),
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 10 }),
  fc.jsonValue({ maxDepth: 2 }),
);

/** Every path (keys and indexes) inside a JSON value, the root excluded. */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (value === null || typeof value !== "object") return [];
  const out: (string | number)[][] = [];
  for (const [k, v] of Object.entries(value)) {
    const p = [...prefix, Array.isArray(value) ? Number(k) : k];
    out.push(p, ...paths(v, p));
  }
  return out;
}

function setPath(root: Record<string, unknown>, path: (string | number)[], value: unknown): void {
  let at: Record<string | number, unknown> = root;
  for (const k of path.slice(0, -1)) at = at[k] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (value === undefined) delete at[last];
  else at[last] = value;
}

/** The JSON body object of a control message (its `type` removed, chunks excluded). */
function bodyOf(m: Exclude<Message, { type: "chunk" }>): Record<string, unknown> {
  const { type: _, ...body } = JSON.parse(JSON.stringify(m)) as Record<string, unknown>;
  return body;
}

/** Odd numeric literals that JSON.parse accepts or rejects. */
const NUMBER_TOKENS = [
  "1e999",
  "-1e999",
  "1e-400",
  "123456789012345678901234567890",
  "-0",
  "0.5",
  "01",
  "0x10",
  "NaN",
  "Infinity",
  "1E2",
  "9007199254740993",
  "2147483648",
  "4294967296",
];

/** A control frame whose body is JSON of the wrong shape (or not JSON at all). */
export const badBodyFrame: fc.Arbitrary<Uint8Array> = fc.oneof(
  // One value somewhere in a valid body replaced (or removed), or a known field added.
  fc.tuple(anyControl, fc.nat(), badValue, fc.boolean()).map(([m, k, bad, remove]) => {
    const body = bodyOf(m);
    const all = [...paths(body), ...(FIELDS[m.type] ?? ["x"]).map((f) => [f])];
    setPath(body, all[k % all.length]!, remove ? undefined : bad);
    return encodeFrame(MessageType[m.type], utf8.encode(JSON.stringify(body)));
  }),
  // A number token of a valid body swapped for an odd literal.
  fc.tuple(anyControl, fc.constantFrom(...NUMBER_TOKENS), fc.nat()).map(([m, token, k]) => {
    const json = JSON.stringify(bodyOf(m));
    const numbers = [...json.matchAll(/-?\d+(\.\d+)?([eE][-+]?\d+)?/g)];
    const hit = numbers[k % Math.max(1, numbers.length)];
    const out = hit
      ? json.slice(0, hit.index) + token + json.slice(hit.index! + hit[0].length)
      : json.replace("}", `,"file":${token}}`);
    return encodeFrame(MessageType[m.type], utf8.encode(out));
  }),
  // Lists: duplicates, descending, zero, negative, too large, strings.
  fc.array(fc.oneof(fileId, fc.constantFrom<unknown>(0, -1, 2 ** 31, 1.5, "2", null)), {
    maxLength: 40,
  }).map((files) => {
    const dup = files.length > 0 ? [...files, files[0]] : [1, 1];
    return encodeFrame(MessageType.list, utf8.encode(JSON.stringify({ files: dup })));
  }),
  // Bodies that are not JSON objects.
  fc.tuple(
    fc.integer({ min: 1, max: 16 }),
    fc.constantFrom("", "null", "[]", "1", '"x"', "{", "}", '{"a":}', "\ufeff{}", "{}}", "[{}]"),
  ).map(([type, body]) => encodeFrame(type, utf8.encode(body))),
  // Any JSON under any type byte (unknown ones included).
  fc.tuple(fc.integer({ min: 0, max: 21 }), fc.json({ maxDepth: 3 })).map(([type, json]) =>
    encodeFrame(type, utf8.encode(json))
  ),
  // Not UTF-8.
  fc.tuple(fc.integer({ min: 1, max: 16 }), fc.uint8Array({ maxLength: 40 })).map(
    ([type, body]) => encodeFrame(type, concat([utf8.encode('{"file":'), body, utf8.encode("}")])),
  ),
  // Chunks with a short body or an out-of-range file id.
  fc.tuple(fc.nat({ max: 3 }), fc.constantFrom(0, 0x8000_0000, 0xffff_ffff)).map(([n, id]) => {
    const body = new Uint8Array(4 + n);
    new DataView(body.buffer).setUint32(0, id);
    return encodeFrame(MessageType.chunk, n === 3 ? body.subarray(0, 3) : body);
  }),
);
