/**
 * What a fuzz connection sends to a real server: garbage, invalid hellos,
 * or a valid hello followed by messages out of order, bodies of the wrong
 * shape, mutated frames and garbage, cut into writes at random points.
 *
 * @module
 */

import fc from "fast-check";
import type { Scenario } from "../core/run/scenario.ts";
import {
  decodeMessage,
  encodeFrame,
  encodeMessage,
  FrameDecoder,
  HEADER_BYTES,
  type Message,
  MessageType,
  PROTOCOL_VERSION,
  writeHeader,
} from "../protocol/mod.ts";
import { anyMessage, badBodyFrame, badValue, concat, messageArbs } from "./fuzz_inputs.ts";
import { encodeAll, mutate, mutation } from "./fuzz_mutations.ts";

/** One fuzz connection. */
export interface Script {
  target: "origin" | "cache";
  kind: "garbage" | "bad-hello" | "session" | "requests";
  bytes: Uint8Array;
  /** Write boundaries (taken modulo the length + 1). */
  cuts: number[];
  /** Pause 1 ms between writes. */
  slow: boolean;
}

const utf8 = new TextEncoder();
const plain = { noNullPrototype: true };

/** A hello that passes the schema with protocol version 1. */
function validHello(s: Scenario): fc.Arbitrary<Message> {
  return fc.oneof(
    fc.constant<Message>({ type: "hello", v: PROTOCOL_VERSION, role: "probe" }),
    fc.record({
      type: fc.constant("hello" as const),
      v: fc.constant(PROTOCOL_VERSION),
      role: fc.constant("client" as const),
      index: fc.oneof(fc.nat({ max: s.clients + 1 }), fc.maxSafeNat()),
      runtime: fc.constantFrom("node" as const, "deno" as const, "bun" as const),
    }, { requiredKeys: ["type", "v", "role"], noNullPrototype: true }),
    fc.record({
      type: fc.constant("hello" as const),
      v: fc.constant(PROTOCOL_VERSION),
      role: fc.constant("cache" as const),
      index: fc.nat({ max: s.caches + 1 }),
      advertise: fc.record({
        host: fc.constantFrom("127.0.0.1", "0.0.0.0"),
        port: fc.integer({ min: 1, max: 65_535 }),
      }, plain),
    }, { requiredKeys: ["type", "v", "role"], noNullPrototype: true }),
  );
}

/** Messages a server of this scenario might act on: requests in and out of range, lists, done. */
function sessionMessage(s: Scenario): fc.Arbitrary<Message> {
  const file = fc.oneof(
    { arbitrary: fc.integer({ min: 1, max: s.files }), weight: 4 },
    { arbitrary: fc.integer({ min: s.files + 1, max: s.files + 5 }), weight: 1 },
  );
  const list = (max: number) =>
    fc.uniqueArray(file, { minLength: 1, maxLength: max }).map((xs) => xs.sort((a, b) => a - b));
  return fc.oneof(
    { arbitrary: fc.record({ type: fc.constant("request" as const), file }, plain), weight: 4 },
    {
      arbitrary: fc.record({ type: fc.constant("list" as const), files: list(s.requests) }, plain),
      weight: 2,
    },
    {
      arbitrary: fc.record(
        { type: fc.constant("list" as const), files: list(s.requests + 10) },
        plain,
      ),
      weight: 1,
    },
    { arbitrary: messageArbs.done!, weight: 1 },
    { arbitrary: messageArbs.start!, weight: 1 },
    { arbitrary: anyMessage, weight: 3 },
  );
}

/** One item after the hello: a message, a bad body, a mutated frame or garbage. */
function tailItem(s: Scenario): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    { arbitrary: sessionMessage(s).map((m) => encodeMessage(m)), weight: 6 },
    { arbitrary: badBodyFrame, weight: 2 },
    {
      arbitrary: fc.tuple(anyMessage, fc.array(mutation, { minLength: 1, maxLength: 2 })).map(
        ([m, muts]) => mutate(encodeAll([m]), muts, 1_048_576),
      ),
      weight: 2,
    },
    { arbitrary: fc.uint8Array({ minLength: 1, maxLength: 64 }), weight: 1 },
  );
}

/** Hellos that must be refused. */
const badHello: fc.Arbitrary<Uint8Array> = fc.oneof(
  // A field of the wrong kind.
  fc.tuple(
    messageArbs.hello!,
    fc.constantFrom("v", "role", "index", "advertise", "runtime"),
    badValue,
  )
    .map(([m, key, bad]) => {
      const { type: _, ...fields } = m;
      const body: Record<string, unknown> = fields;
      body[key] = bad;
      return encodeFrame(MessageType.hello, utf8.encode(JSON.stringify(body)));
    }),
  // Another protocol version.
  fc.integer({ min: -5, max: 5 }).filter((x) => x !== PROTOCOL_VERSION).map((version) =>
    encodeMessage({ type: "hello", v: version, role: "client" })
  ),
  // A cache without an advertised address, a probe with junk fields.
  fc.constant(encodeFrame(MessageType.hello, utf8.encode('{"v":1,"role":"cache"}'))),
  fc.constant(encodeFrame(MessageType.hello, utf8.encode('{"v":1,"role":"probe","x":[[[]]]}'))),
  // Another message first.
  anyMessage.filter((m) => m.type !== "hello").map((m) => encodeMessage(m)),
  // A hello header announcing a huge body, then a little of it.
  fc.tuple(fc.constantFrom(0x0010_0001, 0x0010_0000, 0xffff_ffff, 65_536), fc.nat({ max: 50 })).map(
    ([length, n]) => {
      const head = new Uint8Array(HEADER_BYTES);
      writeHeader(head, 0, MessageType.hello, length);
      return concat([head, new Uint8Array(n).fill(0x20)]);
    },
  ),
  // A valid hello cut short.
  fc.nat().map((n) => {
    const b = encodeMessage({ type: "hello", v: PROTOCOL_VERSION, role: "client" });
    return b.subarray(0, n % b.length);
  }),
);

/** The fuzz connections for servers running scenario `s`. */
export function scriptArb(s: Scenario): fc.Arbitrary<Script> {
  const target = fc.constantFrom("origin" as const, "cache" as const);
  const cuts = fc.array(fc.nat(), { maxLength: 6 });
  const slow = fc.nat({ max: 9 }).map((n) => n === 0);
  return fc.oneof(
    {
      weight: 1,
      arbitrary: fc.record({
        target,
        kind: fc.constant("garbage" as const),
        bytes: fc.oneof(
          fc.uint8Array({ minLength: 1, maxLength: 300 }),
          fc.uint8Array({ minLength: 1, maxLength: 40 }).map((b) =>
            concat([new Uint8Array([1]), b])
          ),
        ),
        cuts,
        slow,
      }, plain),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        target,
        kind: fc.constant("bad-hello" as const),
        bytes: badHello,
        cuts,
        slow,
      }, plain),
    },
    {
      weight: 5,
      arbitrary: fc.record({
        target,
        kind: fc.constant("session" as const),
        bytes: fc.tuple(validHello(s), fc.array(tailItem(s), { maxLength: 8 }), fc.nat()).map(
          ([hello, tail, cut]) => {
            const bytes = concat([encodeMessage(hello), ...tail]);
            // Now and then, end inside the last frame.
            return cut % 4 === 0 && tail.length > 0 ? bytes.subarray(0, bytes.length - 1) : bytes;
          },
        ),
        cuts,
        slow,
      }, plain),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        target: fc.constant("cache" as const),
        kind: fc.constant("requests" as const),
        bytes: fc.tuple(
          fc.nat({ max: s.clients + 1 }),
          fc.array(fc.integer({ min: 1, max: s.files }), { minLength: 1, maxLength: 6 }),
        ).map(([index, files]) =>
          concat([
            encodeMessage({ type: "hello", v: PROTOCOL_VERSION, role: "client", index }),
            ...files.map((file) => encodeMessage({ type: "request", file })),
          ])
        ),
        cuts,
        slow,
      }, plain),
    },
  );
}

/**
 * True when `bytes` open with a hello that may take a place at the origin
 * (version 1, role cache or client): such a connection may end the run by design.
 */
export function mayRegister(bytes: Uint8Array): boolean {
  try {
    // The default limit, as the servers use: a decoder allocates a body as soon as its header arrives.
    const frame = new FrameDecoder().push(bytes)[0];
    const first = frame && decodeMessage(frame);
    return first?.type === "hello" && first.v === PROTOCOL_VERSION && first.role !== "probe";
  } catch {
    return false;
  }
}

/** `bytes` cut at `cuts`, empty pieces dropped. */
export function cutUp(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const at = [...new Set(cuts.map((x) => x % (bytes.length + 1)))].sort((x, y) => x - y);
  const out: Uint8Array[] = [];
  let from = 0;
  for (const to of [...at, bytes.length]) {
    if (to > from) out.push(bytes.slice(from, to));
    from = to;
  }
  return out;
}
