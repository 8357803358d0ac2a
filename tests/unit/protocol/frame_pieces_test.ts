import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { isForesightError } from "../../../errors.ts";
import { encodeFrame, type Frame, FrameDecoder, HEADER_BYTES } from "../../../protocol/frame.ts";
import { CHUNK_PIECES, decodeMessage, encodeChunk } from "../../../protocol/codec.ts";
import { concatBytes } from "../bytes.ts";

const T = 9;
const P = 3;
const streamed = { type: T, prefix: P };

/** Pushes `bytes` cut at `cuts` (each chunk its own buffer) and collects frames and chunks. */
function feed(decoder: FrameDecoder, bytes: Uint8Array, cuts: readonly number[]) {
  const frames: Frame[] = [];
  const chunks: ArrayBufferLike[] = [];
  let from = 0;
  for (const to of [...cuts, bytes.length]) {
    const chunk = bytes.slice(from, to);
    chunks.push(chunk.buffer);
    frames.push(...decoder.push(chunk));
    from = to;
  }
  return { frames, chunks };
}

describe("FrameDecoder with a streamed type", () => {
  it("returns a streamed frame within one chunk as one piece: prefix and body are views", () => {
    const bytes = encodeFrame(T, new Uint8Array([1, 2, 3, 4, 5]));
    const [piece, ...rest] = new FrameDecoder({ streamed }).push(bytes);
    assert.deepEqual(rest, []);
    assert.deepEqual([...piece!.prefix!], [1, 2, 3]);
    assert.deepEqual([...piece!.body], [4, 5]);
    assert.equal(piece!.body.buffer, bytes.buffer);
    assert.equal(piece!.prefix!.buffer, bytes.buffer);
  });

  it("hands over each piece as it arrives, never holding or copying the body", () => {
    const decoder = new FrameDecoder({ streamed });
    const bytes = encodeFrame(T, new Uint8Array([1, 2, 3, 4, 5, 6, 7]));
    // The header and the first prefix byte: nothing to hand over yet.
    assert.deepEqual(decoder.push(bytes.slice(0, HEADER_BYTES + 1)), []);
    assert.equal(decoder.buffered, HEADER_BYTES + 1);
    assert.equal(decoder.frameBytes, HEADER_BYTES + 7);
    const second = bytes.slice(HEADER_BYTES + 1, HEADER_BYTES + 5);
    const [a, ...none] = decoder.push(second);
    assert.deepEqual(none, []);
    assert.deepEqual([...a!.prefix!], [1, 2, 3]);
    assert.deepEqual([...a!.body], [4, 5]);
    assert.equal(a!.body.buffer, second.buffer, "a view of the chunk it came in");
    assert.equal(decoder.buffered, HEADER_BYTES + 5);
    assert.equal(decoder.idle, false);
    assert.equal(decoder.completed, 0);
    const [b] = decoder.push(bytes.slice(HEADER_BYTES + 5));
    assert.deepEqual([...b!.body], [6, 7]);
    assert.equal(b!.prefix, a!.prefix, "every piece carries the frame's prefix");
    assert.ok(decoder.idle);
    assert.equal(decoder.completed, 1);
  });

  it("decodes other types, and a streamed type shorter than its prefix, whole", () => {
    const bytes = concatBytes([
      encodeFrame(4, new Uint8Array([1, 2])),
      encodeFrame(T, new Uint8Array([7])),
    ]);
    const frames = new FrameDecoder({ streamed }).push(bytes);
    assert.deepEqual(frames.map((f) => [f.type, [...f.body], f.prefix]), [
      [4, [1, 2], undefined],
      [T, [7], undefined],
    ]);
  });

  it("rejects an oversize streamed header, and a streamed option out of range", () => {
    const decoder = new FrameDecoder({ maxBody: 8, streamed });
    assert.throws(
      () => decoder.push(encodeFrame(T, new Uint8Array(9))),
      (e) => isForesightError(e, "FRAME_TOO_LARGE"),
    );
    for (
      const bad of [{ type: 256, prefix: 4 }, { type: 1, prefix: -1 }, { type: 1, prefix: 0.5 }]
    ) {
      assert.throws(
        () => new FrameDecoder({ streamed: bad }),
        (e) => isForesightError(e, "CONFIG"),
      );
    }
  });

  it("pieces of any frames split at any points put the frames back together (property)", () => {
    const frameArb = fc.record({
      type: fc.constantFrom(T, 4),
      body: fc.uint8Array({ maxLength: 40 }),
    });
    fc.assert(
      fc.property(
        fc.array(frameArb, { maxLength: 10 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (sent, rawCuts) => {
          const bytes = concatBytes(sent.map((f) => encodeFrame(f.type, f.body)));
          const cuts = [...new Set(rawCuts.map((c) => c % (bytes.length + 1)))].sort((a, b) =>
            a - b
          );
          const decoder = new FrameDecoder({ maxBody: 40, streamed });
          const { frames, chunks } = feed(decoder, bytes, cuts);
          let i = 0;
          for (const f of sent) {
            if (f.type !== T || f.body.length < P) {
              const got = frames[i++]!;
              assert.deepEqual([got.type, [...got.body], got.prefix], [
                f.type,
                [...f.body],
                undefined,
              ]);
              continue;
            }
            const pieces: Uint8Array[] = [];
            let n = 0;
            do {
              const got = frames[i++]!;
              assert.equal(got.type, T);
              assert.deepEqual([...got.prefix!], [...f.body.subarray(0, P)]);
              assert.ok(chunks.includes(got.body.buffer), "a piece is a view of a pushed chunk");
              assert.ok(got.body.length > 0 || f.body.length === P, "no empty piece mid-frame");
              pieces.push(got.body);
              n += got.body.length;
            } while (n < f.body.length - P);
            assert.deepEqual([...concatBytes(pieces)], [...f.body.subarray(P)]);
          }
          assert.equal(i, frames.length);
          assert.equal(decoder.completed, sent.length);
          assert.ok(decoder.idle);
        },
      ),
    );
  });
});

describe("chunks in pieces", () => {
  it("every piece decodes to a chunk of the frame's file", () => {
    const bytes = encodeChunk(0x01020304, new Uint8Array([1, 2, 3, 4, 5, 6]));
    const decoder = new FrameDecoder({ streamed: CHUNK_PIECES });
    // Cut inside the file id, then inside the payload.
    const frames = [
      ...decoder.push(bytes.slice(0, 7)),
      ...decoder.push(bytes.slice(7, 12)),
      ...decoder.push(bytes.slice(12)),
    ];
    const msgs = frames.map((f) => decodeMessage(f));
    assert.deepEqual(msgs.map((m) => m.type === "chunk" && [m.file, [...m.data]]), [
      [0x01020304, [1, 2, 3]],
      [0x01020304, [4, 5, 6]],
    ]);
  });

  it("a piece whose prefix is not a 4-byte file id, or names file 0, is refused", () => {
    const chunk = CHUNK_PIECES.type;
    assert.throws(
      () => decodeMessage({ type: chunk, prefix: new Uint8Array(3), body: new Uint8Array(1) }),
      (e) => isForesightError(e, "PROTOCOL") && e.message.includes("4-byte file id"),
    );
    assert.throws(
      () => decodeMessage({ type: chunk, prefix: new Uint8Array(4), body: new Uint8Array(1) }),
      (e) => isForesightError(e, "SCHEMA_INVALID"),
    );
  });
});
