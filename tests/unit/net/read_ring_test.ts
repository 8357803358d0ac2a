/**
 * The ring of lent read buffers: no region it hands out overlaps a byte that
 * is unread or was taken within the last LENT_BYTES, and a ring sized as the
 * adapters size it never falls back to fresh buffers.
 *
 * @module
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ReadRing } from "../../../net/read_ring.ts";
import { LENT_BYTES } from "../../../net/types.ts";

const KiB = 1024;
const MiB = 1024 * KiB;

/** A seeded xorshift32 generator of integers in [0, n). */
function random(seed: number): (n: number) => number {
  let x = seed >>> 0 || 1;
  return (n) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % n;
  };
}

/** 4 MiB + 7 pseudo-random bytes: what reads bring, taken from ever-moving offsets. */
const SOURCE = (() => {
  const next = random(0x9e3779b9);
  return Uint8Array.from({ length: 4 * MiB + 7 }, () => next(256));
})();

/**
 * Drives a ring like an adapter does: reads of random sizes (often tiny) land
 * in its regions, each scribbled on whole first as a read may; a reader takes
 * chunks from a queue of at most `maxUnread` bytes. Every chunk is checked
 * against its copy when taken, again the moment the reader has taken
 * LENT_BYTES more (an overwrite is never undone: the bytes are pseudo-random
 * and every region is scribbled on first), and at the end. Returns how many
 * regions were fresh buffers rather than the ring.
 */
function drive(size: number, readBytes: number, maxUnread: number, seed: number): number {
  const ring = new ReadRing(size, readBytes);
  const rand = random(seed);
  const queue: { view: Uint8Array; copy: Uint8Array }[] = [];
  const lent: { view: Uint8Array; copy: Uint8Array; takenAfter: number }[] = [];
  let ringBuffer: ArrayBufferLike | undefined;
  let unread = 0;
  let taken = 0;
  let fresh = 0;
  let from = 0;
  for (let step = 0; step < 6000; step++) {
    if (unread + readBytes <= maxUnread && rand(3) > 0) {
      const region = ring.region(unread);
      assert.equal(region.length, readBytes);
      ringBuffer ??= region.buffer;
      if (region.buffer !== ringBuffer) fresh++;
      region.fill(0xee);
      const n = 1 + rand(rand(4) === 0 ? 300 : readBytes);
      from = (from + n) % (SOURCE.length - readBytes);
      region.set(SOURCE.subarray(from, from + n));
      const chunk = ring.commit(region, n);
      assert.equal(chunk.length, n);
      assert.equal(chunk.buffer, region.buffer);
      assert.equal(chunk.byteOffset, region.byteOffset);
      queue.push({ view: chunk, copy: chunk.slice() });
      unread += n;
    } else if (queue.length > 0) {
      const { view, copy } = queue.shift()!;
      assert.deepEqual(view, copy, `an unread chunk changed by step ${step}`);
      unread -= view.length;
      taken += view.length;
      lent.push({ view, copy, takenAfter: taken });
    }
    while (lent.length > 0 && taken - lent[0]!.takenAfter >= LENT_BYTES) {
      const l = lent.shift()!;
      assert.deepEqual(l.view, l.copy, `a lent chunk changed by step ${step}`);
    }
  }
  for (const l of lent) assert.deepEqual(l.view, l.copy, "a lent chunk changed");
  for (const q of queue) assert.deepEqual(q.view, q.copy, "an unread chunk changed");
  return fresh;
}

describe("ReadRing", () => {
  it("never overwrites a lent or unread byte, whatever the read sizes and the reader's lag", () => {
    for (let seed = 1; seed <= 3; seed++) {
      // Too small for its unread bytes: it must fall back to fresh buffers.
      assert.ok(drive(LENT_BYTES + 64 * KiB, 32 * KiB, 256 * KiB, seed) > 0);
      drive(2 * MiB, 128 * KiB, 512 * KiB, seed);
      drive(2 * MiB, 256 * KiB, 256 * KiB, seed);
    }
  });

  it("gives ring regions only, when sized for the lent bytes, the unread ones and two reads", () => {
    // Node: 128 KiB reads, paused at 256 KiB unread, and the next region is
    // taken right after the read that crossed that (so below 384 KiB unread).
    assert.equal(drive(2 * MiB, 128 * KiB, 512 * KiB, 7), 0);
    // Deno: 256 KiB reads, pulled, so nothing unread when it reads.
    assert.equal(drive(2 * MiB, 256 * KiB, 256 * KiB, 7), 0);
  });

  it("hands a fresh buffer's bytes over as they are", () => {
    const ring = new ReadRing(LENT_BYTES + 16, 16);
    const own = new Uint8Array([1, 2, 3, 4]);
    const chunk = ring.commit(own, 3);
    assert.deepEqual(chunk, new Uint8Array([1, 2, 3]));
    assert.equal(chunk.buffer, own.buffer);
    // The ring was not touched: its first region is still its start.
    assert.equal(ring.region().byteOffset, 0);
  });
});
