import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { type ErrorCode, isForesightError } from "../../../errors.ts";
import {
  CHUNK_BYTES,
  decodeMessage,
  encodeChunk,
  encodeFrame,
  encodeMessage,
  MAX_FILE_ID,
  type Message,
  MessageDecoder,
  MessageType,
  PROTOCOL_VERSION,
} from "../../../protocol/mod.ts";
import { concatBytes } from "../bytes.ts";

const utf8 = new TextEncoder();
const ALL_CODES = new Uint8Array(Object.values(MessageType));

/** Decodes a frame of raw type and JSON text with `decodeMessage`. */
function decodeJson(type: number, text: string, maxList?: number): Message {
  return decodeMessage({ type, body: utf8.encode(text) }, { maxList });
}

/** Asserts that `fn` throws a ForesightError with `code` (and a message matching `re`). */
function throwsCode(fn: () => unknown, code: ErrorCode, re?: RegExp): void {
  assert.throws(fn, (e) => {
    assert.ok(isForesightError(e, code), `expected ${code}, got ${String(e)}`);
    if (re) assert.match((e as Error).message, re);
    return true;
  });
}

/** fast-check builds null-prototype records unless told otherwise. */
const plain = { noNullPrototype: true };
const id = fc.integer({ min: 1, max: MAX_FILE_ID });
const count = fc.maxSafeNat();
const int = fc.maxSafeInteger();
const text = fc.string({ unit: "binary", maxLength: 40 });
const host = fc.string({ unit: "binary", minLength: 1, maxLength: 100 });
const port = fc.integer({ min: 0, max: 65_535 });
/** Payloads that contain every type code, among random bytes. */
const payload = fc.tuple(fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ maxLength: 50 }))
  .map(([a, b]) => concatBytes([a, ALL_CODES, b]));

const hex64 = fc.uint8Array({ minLength: 32, maxLength: 32 })
  .map((b) => [...b].map((x) => x.toString(16).padStart(2, "0")).join(""));

const arbitraries: { [K in Message["type"]]: fc.Arbitrary<Extract<Message, { type: K }>> } = {
  hello: fc.record({
    type: fc.constant("hello"),
    v: int,
    role: fc.constantFrom("cache", "client", "probe"),
    index: count,
    advertise: fc.record({ host, port }, plain),
    capacity: count,
    runtime: fc.constantFrom("node", "deno", "bun"),
  }, { requiredKeys: ["type", "v", "role"], noNullPrototype: true }),
  welcome: fc.record({
    type: fc.constant("welcome"),
    v: int,
    index: count,
    scenario: fc.record({
      files: fc.integer({ min: 1000, max: 2_000_000 }),
      caches: fc.integer({ min: 1, max: 1000 }),
      clients: fc.integer({ min: 1, max: 10_000 }),
      requests: fc.integer({ min: 1, max: 1000 }),
      capacityKiB: fc.integer({ min: 0, max: 2 ** 40 }),
      rateOriginClient: fc.double({ min: 0.5, max: 1e9, noNaN: true }),
      rateOriginCache: fc.double({ min: 0.5, max: 1e9, noNaN: true }),
      rateCacheClient: fc.double({ min: 0.5, max: 1e9, noNaN: true }),
      scale: fc.double({ min: 0.01, max: 1e6, noNaN: true }),
      seed: fc.integer({ min: -(2 ** 31), max: 2 ** 32 - 1 }),
      policy: fc.constantFrom("seed", "nocache", "lru", "belady", "foresight" as const),
    }, plain),
  }, plain),
  caches: fc.record({
    type: fc.constant("caches"),
    caches: fc.array(fc.record({ index: count, host, port }, plain), { maxLength: 8 }),
  }, plain),
  list: fc.record({
    type: fc.constant("list"),
    files: fc.uniqueArray(id, { maxLength: 50 }).map((xs) => xs.sort((a, b) => a - b)),
  }, plain),
  start: fc.record({ type: fc.constant("start"), next: fc.option(id, { nil: null }) }, {
    requiredKeys: ["type"],
    noNullPrototype: true,
  }),
  stop: fc.record({ type: fc.constant("stop"), reason: text }, plain),
  request: fc.record({
    type: fc.constant("request"),
    file: id,
    at: fc.double({ min: 0, max: 1e13, noNaN: true }),
    again: fc.boolean(),
  }, { requiredKeys: ["type", "file"], noNullPrototype: true }),
  file: fc.record({
    type: fc.constant("file"),
    file: id,
    size: count,
    count,
    next: fc.option(id, { nil: null }),
    sha256: hex64,
    again: fc.boolean(),
  }, { requiredKeys: ["type", "file", "size", "count", "next"], noNullPrototype: true }),
  hit: fc.record({ type: fc.constant("hit"), file: id, size: count, sha256: hex64 }, {
    requiredKeys: ["type", "file", "size"],
    noNullPrototype: true,
  }),
  miss: fc.record({ type: fc.constant("miss"), file: id, next: fc.option(id, { nil: null }) }, {
    requiredKeys: ["type", "file"],
    noNullPrototype: true,
  }),
  chunk: fc.record({ type: fc.constant("chunk"), file: id, data: payload }, plain),
  done: fc.record({ type: fc.constant("done"), files: count, bytes: count }, plain),
  error: fc.record({ type: fc.constant("error"), code: text, message: text }, plain),
  plan: fc.record({
    type: fc.constant("plan"),
    routes: fc.array(fc.tuple(id, fc.integer({ min: -1, max: 1000 })), { maxLength: 20 }),
  }, plain),
  challenge: fc.record({ type: fc.constant("challenge"), nonce: hex64 }, plain),
  auth: fc.record({ type: fc.constant("auth"), mac: hex64 }, plain),
  release: fc.record({
    type: fc.constant("release"),
    client: count,
    files: fc.array(id, { maxLength: 20 }),
  }, plain),
  rejoin: fc.record({
    type: fc.constant("rejoin"),
    cache: count,
    generation: count,
    host,
    port,
    files: fc.array(id, { maxLength: 20 }),
  }, plain),
  lost: fc.record({ type: fc.constant("lost"), cache: count, generation: count }, plain),
  catalogue: fc.integer({ min: 0, max: 5 }).chain((n) =>
    fc.record({
      type: fc.constant("catalogue" as const),
      first: id,
      names: fc.array(fc.string({ minLength: 1, maxLength: 30 }), { minLength: n, maxLength: n }),
      sizes: fc.array(count, { minLength: n, maxLength: n }),
      sha256: fc.array(hex64, { minLength: n, maxLength: n }),
    }, plain)
  ),
  refuse: fc.record({ type: fc.constant("refuse"), file: id, code: text, message: text }, plain),
  ping: fc.constant({ type: "ping" as const }),
};
const everyType = Object.values(arbitraries) as fc.Arbitrary<Message>[];
const anyMessage: fc.Arbitrary<Message> = fc.oneof(...everyType);

/** Pushes `bytes` cut at `rawCuts` (any naturals) into a fresh decoder. */
function decodeSplit(bytes: Uint8Array, rawCuts: readonly number[]): Message[] {
  const cuts = [...new Set(rawCuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const decoder = new MessageDecoder();
  const out: Message[] = [];
  let from = 0;
  for (const to of [...cuts, bytes.length]) {
    out.push(...decoder.push(bytes.slice(from, to)));
    from = to;
  }
  assert.ok(decoder.idle, "decoder idle at the end");
  return out;
}

describe("codec", () => {
  it("round-trips every message type", () => {
    assert.equal(PROTOCOL_VERSION, 1);
    const samples = everyType.flatMap((arb) => fc.sample(arb, { numRuns: 20 }));
    const seen = new Set(samples.map((m) => m.type));
    assert.deepEqual([...seen].sort(), Object.keys(MessageType).sort());
    for (const msg of samples) {
      const bytes = encodeMessage(msg);
      assert.equal(bytes[0], MessageType[msg.type]);
      assert.deepEqual(decodeMessage({ type: bytes[0]!, body: bytes.subarray(5) }), msg);
    }
  });

  it("decodes any encoded sequence split at arbitrary boundaries (property)", () => {
    fc.assert(
      fc.property(
        fc.array(anyMessage, { maxLength: 20 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (messages, cuts) => {
          const bytes = concatBytes(messages.map((m) => encodeMessage(m)));
          assert.deepEqual(decodeSplit(bytes, cuts), messages);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("decodes full-size chunks fed byte by byte and in one piece", () => {
    const data = Uint8Array.from({ length: CHUNK_BYTES }, (_, i) => (i * 31) & 0xff);
    const bytes = concatBytes([encodeChunk(9, data), encodeMessage({ type: "miss", file: 3 })]);
    const whole = new MessageDecoder().push(bytes);
    assert.deepEqual(whole, [{ type: "chunk", file: 9, data }, { type: "miss", file: 3 }]);
    const chunk = whole[0] as Extract<Message, { type: "chunk" }>;
    assert.equal(chunk.data.buffer, bytes.buffer, "chunk payload is a view, not a copy");
    const cuts = Array.from({ length: bytes.length }, (_, i) => i);
    assert.deepEqual(decodeSplit(bytes, cuts), whole);
  });

  it("turns garbage into valid messages or ForesightErrors, nothing else (property)", () => {
    // Frames with real type codes and small lengths reach the JSON and schema checks.
    const framed = fc.tuple(fc.integer({ min: 0, max: 16 }), fc.uint8Array({ maxLength: 40 }))
      .map(([type, body]) => encodeFrame(type, body));
    const jsonish = fc.tuple(fc.integer({ min: 1, max: 14 }), fc.json())
      .map(([type, json]) => encodeFrame(type, utf8.encode(json)));
    const garbage = fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      fc.array(fc.oneof(framed, jsonish), { maxLength: 6 }).map(concatBytes),
    );
    fc.assert(
      fc.property(garbage, fc.nat(), (bytes, cut) => {
        const decoder = new MessageDecoder();
        let messages: Message[] = [];
        try {
          const at = cut % (bytes.length + 1);
          messages = [...decoder.push(bytes.subarray(0, at)), ...decoder.push(bytes.subarray(at))];
        } catch (e) {
          assert.ok(isForesightError(e), `not a ForesightError: ${String(e)}`);
        }
        for (const msg of messages) encodeMessage(msg); // every decoded message is valid
      }),
      { numRuns: 1000 },
    );
  });

  it("rejects an unknown type byte", () => {
    for (const type of [0x00, 0x17, 0x7f, 0xff]) {
      throwsCode(() => decodeJson(type, "{}"), "UNKNOWN_TYPE", /unknown type 0x[0-9a-f]{2}/);
    }
  });

  it("rejects bodies that are not UTF-8 JSON objects", () => {
    throwsCode(() => decodeJson(MessageType.request, "{file: 7}"), "SCHEMA_INVALID", /request/);
    throwsCode(() => decodeJson(MessageType.start, ""), "SCHEMA_INVALID", /not UTF-8 JSON/);
    throwsCode(() => decodeJson(MessageType.start, "[]"), "SCHEMA_INVALID", /not a JSON object/);
    throwsCode(() => decodeJson(MessageType.start, "null"), "SCHEMA_INVALID", /not a JSON object/);
    const badUtf8 = { type: MessageType.start, body: new Uint8Array([0x7b, 0xff, 0x7d]) };
    throwsCode(() => decodeMessage(badUtf8), "SCHEMA_INVALID", /not UTF-8 JSON/);
  });

  it("rejects schema violations, naming the type and the field", () => {
    const { request, list, file, hello, plan, caches, welcome, catalogue, hit } = MessageType;
    const h = "a".repeat(64);
    const bad: [number, string, RegExp][] = [
      [request, `{"file":-1}`, /Cannot decode request: field "file"/],
      [request, `{"file":0}`, /field "file"/],
      [request, `{"file":2147483648}`, /field "file"/],
      [request, `{"file":"7"}`, /field "file".*Expected number/],
      [request, `{"file":1.5}`, /field "file"/],
      [request, `{}`, /field "file"/],
      [list, `{"files":[1,3,2]}`, /Cannot decode list: field "files".*ascending/],
      [list, `{"files":[1,2,2]}`, /field "files".*ascending distinct/],
      [list, `{"files":[1,-2]}`, /field "files.1"/],
      [list, `{"files":"1,2"}`, /field "files"/],
      [file, `{"file":1,"size":0,"count":0}`, /field "next"/],
      [hello, `{"v":1,"role":"server"}`, /field "role"/],
      [hello, `{"v":1,"role":"cache","advertise":{"host":"","port":1}}`, /"advertise.host"/],
      [hello, `{"v":1,"role":"cache","advertise":{"host":"h","port":70000}}`, /"advertise.port"/],
      [plan, `{"routes":[[1,-2]]}`, /field "routes.0.1"/],
      [caches, `{"caches":[{"index":0,"host":"h"}]}`, /field "caches.0.port"/],
      [welcome, `{"v":1,"index":0,"scenario":{"files":0}}`, /"scenario.files"/],
      [hit, `{"file":1,"size":3,"sha256":"ABC"}`, /field "sha256".*64 lowercase hex/],
      [
        catalogue,
        `{"first":1,"names":["a","b"],"sizes":[1],"sha256":["${h}","${h}"]}`,
        /as many sizes and digests as names/,
      ],
      [catalogue, `{"first":1,"names":[""],"sizes":[1],"sha256":["${h}"]}`, /field "names.0"/],
      [
        welcome,
        `{"v":1,"index":0,"scenario":{"files":10,"caches":2,"clients":1,"requests":11,"capacityKiB":1,` +
        `"rateOriginClient":1,"rateOriginCache":1,"rateCacheClient":1,"scale":1,"seed":1,"policy":"seed"}}`,
        /requests must not exceed files/,
      ],
    ];
    for (const [type, json, re] of bad) {
      throwsCode(() => decodeJson(type, json), "SCHEMA_INVALID", re);
    }
  });

  it("rejects lists longer than maxList", () => {
    const files = JSON.stringify({ files: [1, 2, 3, 4] });
    assert.deepEqual(decodeJson(MessageType.list, files, 4), { type: "list", files: [1, 2, 3, 4] });
    throwsCode(() => decodeJson(MessageType.list, files, 3), "SCHEMA_INVALID", /at most 3/);
    const routes = JSON.stringify({ routes: [[1, 0], [2, -1]] });
    throwsCode(() => decodeJson(MessageType.plan, routes, 1), "SCHEMA_INVALID", /"routes"/);
    throwsCode(() => new MessageDecoder({ maxList: -1 }), "CONFIG");
  });

  it("ignores unknown fields and the frame type wins over a body type", () => {
    const msg = decodeJson(MessageType.request, `{"file":7,"type":"miss","extra":[1]}`);
    assert.deepEqual(msg, { type: "request", file: 7 });
  });

  it("rejects a chunk body shorter than its file id or with a bad id", () => {
    const short = { type: MessageType.chunk, body: new Uint8Array(3) };
    throwsCode(() => decodeMessage(short), "PROTOCOL", /body length 3 is shorter/);
    const zero = { type: MessageType.chunk, body: new Uint8Array(4) };
    throwsCode(() => decodeMessage(zero), "SCHEMA_INVALID", /file 0/);
    throwsCode(() => encodeChunk(0, new Uint8Array()), "SCHEMA_INVALID");
  });

  it("encodes a chunk as header, big-endian file id, payload", () => {
    const bytes = encodeChunk(0x01020304, new Uint8Array([9, 8]));
    assert.deepEqual([...bytes], [0x0b, 0, 0, 0, 6, 1, 2, 3, 4, 9, 8]);
    const empty = { type: "chunk", file: 0x01020304, data: new Uint8Array() };
    assert.deepEqual(decodeMessage({ type: 0x0b, body: bytes.subarray(5, 9) }), empty);
  });

  it("refuses to encode invalid messages", () => {
    throwsCode(() => encodeMessage({ type: "request", file: -1 }), "SCHEMA_INVALID", /request/);
    throwsCode(() => encodeMessage({ type: "list", files: [2, 1] }), "SCHEMA_INVALID", /files/);
    const bogus = { type: "toString" } as unknown as Message;
    throwsCode(() => encodeMessage(bogus), "UNKNOWN_TYPE");
  });

  it("MessageDecoder stays failed after an error", () => {
    const decoder = new MessageDecoder();
    const good = encodeMessage({ type: "start" });
    const unknown = encodeFrame(0x42, new Uint8Array());
    throwsCode(() => decoder.push(concatBytes([good, unknown])), "UNKNOWN_TYPE");
    throwsCode(() => decoder.push(good), "UNKNOWN_TYPE");
  });
});
