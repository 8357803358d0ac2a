/**
 * Fuzz cases for the frame and message decoder, and the check of one case:
 * every `push` either returns valid messages or throws a `ForesightError`
 * (then every later push throws the same one), the decoder never holds more
 * than `maxBody` + header bytes, valid input decodes to what was encoded,
 * and no case takes long.
 *
 * @module
 */

import fc from "fast-check";
import * as v from "valibot";
import { ForesightError } from "../errors.ts";
import {
  controlSchemas,
  DEFAULT_MAX_BODY,
  encodeFrame,
  encodeMessage,
  HEADER_BYTES,
  MAX_FILE_ID,
  type Message,
  MessageDecoder,
  MessageType,
  writeHeader,
} from "../protocol/mod.ts";
import { anyMessage, badBodyFrame, concat } from "./fuzz_inputs.ts";
import { encodeAll, frames, mutate, mutation } from "./fuzz_mutations.ts";

/** One decoder case. */
export interface DecoderCase {
  kind: "valid" | "random" | "mutated" | "bad-body" | "limit";
  bytes: Uint8Array;
  /** Where the input is cut into pushes (taken modulo its length + 1). */
  cuts: number[];
  /** Push one byte at a time instead. */
  byteByByte: boolean;
  maxBody?: number;
  maxList?: number;
  /** What valid input must decode to. */
  expect?: Message[];
}

/** A broken expectation. */
export interface Problem {
  /** `exception`: something other than a ForesightError escaped. */
  kind: "exception" | "invalid-message" | "over-limit" | "not-sticky" | "round-trip" | "slow";
  detail: string;
}

const options = fc.record({
  maxBody: fc.option(fc.oneof(fc.nat({ max: 300 }), fc.nat({ max: 70_000 })), {
    nil: undefined,
    freq: 2,
  }),
  maxList: fc.option(fc.nat({ max: 30 }), { nil: undefined, freq: 2 }),
}, { noNullPrototype: true });
const cuts = fc.array(fc.nat(), { maxLength: 8 });
const oneInTen = fc.nat({ max: 9 }).map((n) => n === 0);

/** Frames at and around the body limit (the default 1 MiB limit included). */
const limitFrame = fc.tuple(
  fc.constantFrom("exact", "over", "header-only", "partial"),
  fc.option(fc.nat({ max: 70_000 }), { nil: undefined }),
  fc.nat(),
).map(([shape, maxBody, n]): { bytes: Uint8Array; maxBody?: number } => {
  const limit = maxBody ?? DEFAULT_MAX_BODY;
  if (shape === "exact") {
    const body = new Uint8Array(limit);
    if (limit >= 4) body[3] = 1; // chunk of file 1
    return { bytes: encodeFrame(MessageType.chunk, body), maxBody };
  }
  const length = shape === "over" ? limit + 1 : limit;
  const head = new Uint8Array(HEADER_BYTES);
  writeHeader(head, 0, MessageType.chunk, length);
  const tail = shape === "partial"
    ? new Uint8Array(limit === 0 ? 0 : n % limit)
    : new Uint8Array(3);
  return { bytes: concat([head, tail]), maxBody };
});

/** The decoder cases, by kind. */
export const decoderCase: fc.Arbitrary<DecoderCase> = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.tuple(fc.array(anyMessage, { maxLength: 8 }), cuts, oneInTen).map((
      [msgs, cuts, byteByByte],
    ): DecoderCase => ({
      kind: "valid",
      bytes: encodeAll(msgs).bytes,
      cuts,
      byteByByte,
      expect: msgs,
    })),
  },
  {
    weight: 2,
    arbitrary: fc.tuple(fc.uint8Array({ maxLength: 600 }), options, cuts, oneInTen).map((
      [bytes, o, cuts, byteByByte],
    ): DecoderCase => ({ kind: "random", bytes, cuts, byteByByte, ...o })),
  },
  {
    weight: 5,
    arbitrary: fc.tuple(
      fc.array(anyMessage, { minLength: 1, maxLength: 6 }),
      fc.array(mutation, { minLength: 1, maxLength: 3 }),
      options,
      cuts,
      oneInTen,
    ).map(([msgs, muts, o, cuts, byteByByte]): DecoderCase => ({
      kind: "mutated",
      bytes: mutate(encodeAll(msgs), muts, o.maxBody ?? DEFAULT_MAX_BODY),
      cuts,
      byteByByte,
      ...o,
    })),
  },
  {
    weight: 5,
    arbitrary: fc.tuple(
      fc.array(anyMessage, { maxLength: 2 }),
      badBodyFrame,
      fc.array(anyMessage, { maxLength: 2 }),
      options,
      cuts,
      oneInTen,
    ).map(([before, bad, after, o, cuts, byteByByte]): DecoderCase => ({
      kind: "bad-body",
      bytes: frames([encodeAll(before).bytes, bad, encodeAll(after).bytes]).bytes,
      cuts,
      byteByByte,
      ...o,
    })),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(limitFrame, cuts).map(([f, cuts]): DecoderCase => ({
      kind: "limit",
      bytes: f.bytes,
      cuts,
      byteByByte: false,
      maxBody: f.maxBody,
    })),
  },
);

/** A message in a canonical text form (sorted keys; -0 prints as 0). */
export function canon(m: Message): string {
  if (m.type === "chunk") return `chunk ${m.file} ${Array.from(m.data).join(",")}`;
  return JSON.stringify(
    m,
    (_, val) =>
      val && typeof val === "object" && !Array.isArray(val)
        ? Object.fromEntries(Object.entries(val).sort(([a], [b]) => (a < b ? -1 : 1)))
        : val,
  );
}

/** Why `m`, returned by a decoder with these limits, is not a valid message. */
function invalid(m: Message, maxBody: number, maxList?: number): string | undefined {
  if (m.type === "chunk") {
    if (!Number.isInteger(m.file) || m.file < 1 || m.file > MAX_FILE_ID) {
      return `chunk file ${m.file}`;
    }
    if (!(m.data instanceof Uint8Array) || m.data.length + 4 > maxBody) return "chunk data";
    return undefined;
  }
  const r = v.safeParse(controlSchemas(maxList).union, m);
  if (!r.success) return `${m.type} fails its schema: ${r.issues[0]?.message}`;
  try {
    const again = new MessageDecoder({ maxBody: 0xffff_ffff, maxList }).push(
      encodeMessage(m, { maxList }),
    );
    if (again.length !== 1 || canon(again[0]!) !== canon(m)) {
      return `${m.type} changes when re-encoded: ${canon(m)}`;
    }
  } catch (e) {
    return `${m.type} was decoded but cannot be re-encoded: ${(e as Error).message}`;
  }
  return undefined;
}

/** The pushes of a case. */
function pieces(c: DecoderCase): Uint8Array[] {
  const b = c.bytes;
  if (c.byteByByte && b.length <= 4096) return Array.from(b, (_, i) => b.subarray(i, i + 1));
  const at = [...new Set(c.cuts.map((x) => x % (b.length + 1)))].sort((x, y) => x - y);
  const out: Uint8Array[] = [];
  let from = 0;
  for (const to of [...at, b.length]) {
    out.push(b.slice(from, to)); // a copy: decoded chunks may be views of what was pushed
    from = to;
  }
  return out;
}

/** Tallies of outcomes across cases. */
export interface DecoderStats {
  cases: number;
  messages: number;
  errors: Record<string, number>;
  slowestMs: number;
}

/** A fresh tally. */
export function decoderStats(): DecoderStats {
  return { cases: 0, messages: 0, errors: {}, slowestMs: 0 };
}

/**
 * Runs one case; returns the first broken expectation, if any.
 *
 * @param c the case
 * @param stats tallies to update
 */
export function runDecoderCase(c: DecoderCase, stats: DecoderStats): Problem | undefined {
  const t0 = performance.now();
  const problem = check(c, stats);
  const ms = performance.now() - t0;
  stats.cases++;
  if (ms > stats.slowestMs) stats.slowestMs = ms;
  if (problem) return problem;
  if (ms > 1000) return { kind: "slow", detail: `${ms.toFixed(0)} ms for ${c.bytes.length} bytes` };
  return undefined;
}

function check(c: DecoderCase, stats: DecoderStats): Problem | undefined {
  let decoder: MessageDecoder;
  try {
    decoder = new MessageDecoder({ maxBody: c.maxBody, maxList: c.maxList });
  } catch (e) {
    return { kind: "exception", detail: `constructor: ${String(e)}` };
  }
  const maxBody = c.maxBody ?? DEFAULT_MAX_BODY;
  const limit = maxBody + HEADER_BYTES;
  const out: Message[] = [];
  let error: unknown;
  for (const piece of pieces(c)) {
    try {
      const msgs = decoder.push(piece);
      for (const m of msgs) {
        const why = invalid(m, maxBody, c.maxList);
        if (why) return { kind: "invalid-message", detail: why };
      }
      out.push(...msgs);
    } catch (e) {
      error = e;
      break;
    }
    if (decoder.buffered > limit) {
      return { kind: "over-limit", detail: `buffered ${decoder.buffered} > ${limit}` };
    }
  }
  stats.messages += out.length;
  if (error !== undefined) {
    if (!(error instanceof ForesightError)) {
      return {
        kind: "exception",
        detail: `${(error as Error)?.name}: ${(error as Error)?.message}`,
      };
    }
    stats.errors[error.code] = (stats.errors[error.code] ?? 0) + 1;
    try {
      decoder.push(new Uint8Array([MessageType.start, 0, 0, 0, 2, 0x7b, 0x7d]));
      return { kind: "not-sticky", detail: `a push after ${error.code} did not throw` };
    } catch (e) {
      if (e !== error) {
        return { kind: "not-sticky", detail: `a push after ${error.code} threw ${e}` };
      }
    }
  }
  if (c.expect) {
    if (error !== undefined) {
      return { kind: "round-trip", detail: `valid input threw ${(error as Error).message}` };
    }
    const got = out.map(canon).join("\n");
    const want = c.expect.map(canon).join("\n");
    if (got !== want || !decoder.idle) {
      return { kind: "round-trip", detail: `decoded ${out.length} of ${c.expect.length} messages` };
    }
  }
  return undefined;
}

/** Hex of the first `n` bytes, for reports. */
export function hex(bytes: Uint8Array, n = 96): string {
  const s = Array.from(bytes.subarray(0, n), (b) => b.toString(16).padStart(2, "0")).join("");
  return bytes.length > n ? `${s}… (${bytes.length} bytes)` : s;
}
