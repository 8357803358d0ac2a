/**
 * Valid frame sequences mutated at the byte level, for the fuzzer: bit flips,
 * truncations, length fields, type bytes, inserted, deleted and repeated
 * bytes.
 *
 * @module
 */

import fc from "fast-check";
import { encodeMessage, HEADER_BYTES, type Message } from "../protocol/mod.ts";
import { concat } from "./fuzz_inputs.ts";

/** fast-check builds null-prototype records unless told otherwise. */
const plain = { noNullPrototype: true };

/** A byte-level mutation; positions are taken modulo the current length. */
export type Mutation =
  | { kind: "flip"; at: number; bit: number }
  | { kind: "truncate"; at: number }
  | { kind: "length"; frame: number; value: number | "max+1" | "actual+1" | "actual-1" }
  | { kind: "type"; frame: number; value: number }
  | { kind: "insert"; at: number; bytes: Uint8Array }
  | { kind: "delete"; at: number; length: number }
  | { kind: "repeat"; at: number; length: number };

/** Any byte-level mutation. */
export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("flip"), at: fc.nat(), bit: fc.nat({ max: 7 }) }, plain),
  fc.record({ kind: fc.constant("truncate"), at: fc.nat() }, plain),
  fc.record({
    kind: fc.constant("length"),
    frame: fc.nat(),
    value: fc.oneof(
      fc.constantFrom(0, 0xffff_ffff, 0x8000_0000, 0x0010_0001, "max+1", "actual+1", "actual-1"),
      fc.nat({ max: 0xffff_ffff }),
    ),
  }, plain),
  fc.record({ kind: fc.constant("type"), frame: fc.nat(), value: fc.nat({ max: 255 }) }, plain),
  fc.record(
    { kind: fc.constant("insert"), at: fc.nat(), bytes: fc.uint8Array({ maxLength: 12 }) },
    plain,
  ),
  fc.record({ kind: fc.constant("delete"), at: fc.nat(), length: fc.nat({ max: 12 }) }, plain),
  fc.record({ kind: fc.constant("repeat"), at: fc.nat(), length: fc.nat({ max: 40 }) }, plain),
) as fc.Arbitrary<Mutation>;

/** Frames back to back, with where each one starts. */
export interface Framed {
  bytes: Uint8Array;
  starts: number[];
}

/** Joins frames, remembering their offsets. */
export function frames(parts: readonly Uint8Array[]): Framed {
  const starts: number[] = [];
  let at = 0;
  for (const p of parts) {
    starts.push(at);
    at += p.length;
  }
  return { bytes: concat(parts), starts };
}

/** Applies `mutations` in order; `maxBody` resolves the symbolic length values. */
export function mutate(input: Framed, mutations: readonly Mutation[], maxBody: number): Uint8Array {
  let b: Uint8Array = input.bytes.slice(); // fast-check may reuse the input while shrinking
  const frameAt = (n: number) =>
    input.starts.length === 0 ? 0 : input.starts[n % input.starts.length]!;
  for (const m of mutations) {
    const pos = (n: number) => (b.length === 0 ? 0 : n % b.length);
    switch (m.kind) {
      case "flip":
        if (b.length > 0) b[pos(m.at)]! ^= 1 << m.bit;
        break;
      case "truncate":
        b = b.subarray(0, m.at % (b.length + 1));
        break;
      case "length": {
        const at = frameAt(m.frame);
        if (at + HEADER_BYTES > b.length) break;
        const view = new DataView(b.buffer, b.byteOffset, b.length);
        const actual = view.getUint32(at + 1);
        const value = m.value === "max+1"
          ? maxBody + 1
          : m.value === "actual+1"
          ? actual + 1
          : m.value === "actual-1"
          ? Math.max(0, actual - 1)
          : m.value;
        view.setUint32(at + 1, Math.min(value, 0xffff_ffff));
        break;
      }
      case "type": {
        const at = frameAt(m.frame);
        if (at < b.length) b[at] = m.value;
        break;
      }
      case "insert": {
        const at = m.at % (b.length + 1);
        b = concat([b.subarray(0, at), m.bytes, b.subarray(at)]);
        break;
      }
      case "delete": {
        const at = pos(m.at);
        b = concat([b.subarray(0, at), b.subarray(at + m.length)]);
        break;
      }
      case "repeat": {
        const at = pos(m.at);
        b = concat([b.subarray(0, at + m.length), b.subarray(at)]);
        break;
      }
    }
  }
  return b;
}

/** Encodes valid messages as frames. */
export function encodeAll(messages: readonly Message[]): Framed {
  return frames(messages.map((m) => encodeMessage(m)));
}
