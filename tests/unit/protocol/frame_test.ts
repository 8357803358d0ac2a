import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { isForesightError } from "../../../errors.ts";
import {
  DEFAULT_MAX_BODY,
  encodeFrame,
  type Frame,
  FrameDecoder,
  HEADER_BYTES,
} from "../../../protocol/frame.ts";
import { concatBytes } from "../bytes.ts";

/** Pushes `bytes` cut at `cuts` (sorted offsets) and collects every frame. */
function feed(decoder: FrameDecoder, bytes: Uint8Array, cuts: readonly number[]): Frame[] {
  const frames: Frame[] = [];
  let from = 0;
  for (const to of [...cuts, bytes.length]) {
    frames.push(...decoder.push(bytes.slice(from, to)));
    from = to;
  }
  return frames;
}

/** Normalises frames to plain arrays so views and copies compare equal. */
const plain = (frames: Frame[]) => frames.map((f) => ({ type: f.type, body: [...f.body] }));

const isTooLarge = (e: unknown) => isForesightError(e, "FRAME_TOO_LARGE");

describe("encodeFrame", () => {
  it("writes the type byte, a big-endian u32 length and the body", () => {
    const bytes = encodeFrame(0x0e, new Uint8Array(0x010203).fill(9));
    assert.deepEqual([...bytes.subarray(0, HEADER_BYTES)], [0x0e, 0x00, 0x01, 0x02, 0x03]);
    assert.equal(bytes.length, HEADER_BYTES + 0x010203);
    assert.equal(bytes[HEADER_BYTES], 9);
  });

  it("rejects a type that is not a byte", () => {
    for (const type of [-1, 256, 1.5, NaN]) {
      assert.throws(
        () => encodeFrame(type, new Uint8Array()),
        (e) => isForesightError(e, "PROTOCOL"),
      );
    }
  });
});

describe("FrameDecoder", () => {
  const one = encodeFrame(7, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]));
  const expected = [{ type: 7, body: [1, 2, 3, 4, 5, 6, 7, 8] }];

  it("returns a frame pushed in one chunk as a view into that chunk", () => {
    const frames = new FrameDecoder().push(one);
    assert.deepEqual(plain(frames), expected);
    assert.equal(frames[0]!.body.buffer, one.buffer);
  });

  it("reassembles a frame split across chunks", () => {
    const decoder = new FrameDecoder();
    assert.deepEqual(decoder.push(one.subarray(0, 3)), []);
    assert.deepEqual(decoder.push(one.subarray(3, 9)), []);
    assert.deepEqual(plain(decoder.push(one.subarray(9))), expected);
  });

  it("parses when split at the start, middle or end of the header", () => {
    for (const cut of [1, 2, 3, 4, 5]) {
      assert.deepEqual(plain(feed(new FrameDecoder(), one, [cut])), expected, `cut at ${cut}`);
    }
  });

  it("parses when split at the start, middle or end of the body", () => {
    for (const cut of [5, 6, 9, 12, 13]) {
      assert.deepEqual(plain(feed(new FrameDecoder(), one, [cut])), expected, `cut at ${cut}`);
    }
  });

  it("parses frames fed byte by byte", () => {
    const bytes = concatBytes([one, encodeFrame(1, new Uint8Array()), one]);
    const cuts = Array.from({ length: bytes.length - 1 }, (_, i) => i + 1);
    assert.deepEqual(plain(feed(new FrameDecoder(), bytes, cuts)), [
      ...expected,
      { type: 1, body: [] },
      ...expected,
    ]);
  });

  it("parses several frames in one chunk and keeps the leftover", () => {
    const decoder = new FrameDecoder();
    const bytes = concatBytes([one, one, one]);
    assert.deepEqual(plain(decoder.push(bytes.subarray(0, 30))), [...expected, ...expected]);
    assert.equal(decoder.buffered, 4);
    assert.deepEqual(plain(decoder.push(bytes.subarray(30))), expected);
  });

  it("emits zero-length bodies", () => {
    const empty = encodeFrame(5, new Uint8Array());
    const decoder = new FrameDecoder({ maxBody: 0 });
    assert.deepEqual(plain(decoder.push(concatBytes([empty, empty]))), [
      { type: 5, body: [] },
      { type: 5, body: [] },
    ]);
    assert.deepEqual(decoder.push(empty.subarray(0, 4)), []);
    assert.deepEqual(plain(decoder.push(empty.subarray(4))), [{ type: 5, body: [] }]);
    assert.ok(decoder.idle);
  });

  it("rejects an oversize header before the body arrives", () => {
    const header = new Uint8Array([1, 0x00, 0x1e, 0x84, 0x80]); // 2_000_000
    const decoder = new FrameDecoder();
    assert.throws(() => decoder.push(header), (e) => {
      assert.ok(isTooLarge(e));
      assert.equal(
        (e as Error).message,
        "Cannot decode frame: body length 2000000 exceeds limit 1048576",
      );
      return true;
    });
    assert.throws(() => decoder.push(new Uint8Array(1)), isTooLarge, "stays failed");
  });

  it("rejects an oversize header split across chunks, after earlier frames", () => {
    const decoder = new FrameDecoder({ maxBody: 8 });
    assert.deepEqual(plain(decoder.push(concatBytes([one, new Uint8Array([2, 0, 0])]))), expected);
    assert.throws(() => decoder.push(new Uint8Array([0, 9])), /body length 9 exceeds limit 8/);
  });

  it("accepts a body of exactly maxBody", () => {
    assert.equal(new FrameDecoder({ maxBody: 8 }).push(one).length, 1);
    const decoder = new FrameDecoder({ maxBody: 8 });
    assert.deepEqual(decoder.push(one.subarray(0, HEADER_BYTES)), []);
    assert.equal(decoder.buffered, HEADER_BYTES);
    assert.deepEqual(plain(decoder.push(one.subarray(HEADER_BYTES))), expected);
  });

  it("accepts maxBody 0..2^32-1 and rejects anything else", () => {
    new FrameDecoder({ maxBody: 0 });
    new FrameDecoder({ maxBody: 0xffff_ffff });
    for (const maxBody of [-1, 1.5, 2 ** 32, NaN]) {
      assert.throws(() => new FrameDecoder({ maxBody }), (e) => isForesightError(e, "CONFIG"));
    }
    assert.equal(
      new FrameDecoder().push(encodeFrame(1, new Uint8Array(DEFAULT_MAX_BODY))).length,
      1,
    );
  });

  it("idle and buffered reflect partial frames", () => {
    const decoder = new FrameDecoder();
    assert.ok(decoder.idle);
    decoder.push(one.subarray(0, 2));
    assert.equal(decoder.idle, false);
    assert.equal(decoder.buffered, 2);
    decoder.push(one.subarray(2, 7));
    assert.equal(decoder.idle, false);
    assert.equal(decoder.buffered, 7);
    decoder.push(one.subarray(7));
    assert.ok(decoder.idle);
    assert.equal(decoder.buffered, 0);
  });

  it("decodes any frames split at any points (property)", () => {
    const frameArb = fc.record({
      type: fc.integer({ min: 0, max: 255 }),
      body: fc.uint8Array({ maxLength: 64 }),
    });
    fc.assert(
      fc.property(
        fc.array(frameArb, { maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (frames, rawCuts) => {
          const bytes = concatBytes(frames.map((f) => encodeFrame(f.type, f.body)));
          const cuts = [...new Set(rawCuts.map((c) => c % (bytes.length + 1)))].sort((a, b) =>
            a - b
          );
          const decoder = new FrameDecoder({ maxBody: 64 });
          const got = feed(decoder, bytes, cuts);
          assert.deepEqual(plain(got), plain(frames));
          assert.ok(decoder.idle);
        },
      ),
    );
  });
});
