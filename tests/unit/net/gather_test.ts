import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { gather, GATHER_BYTES } from "../../../net/gather.ts";

const bytes = (n: number, fill = n & 0xff) => new Uint8Array(n).fill(fill);

describe("gather", () => {
  it("gives a lone part as it is, without asking for the arena", () => {
    const part = bytes(70_000);
    assert.equal(gather([part], () => assert.fail("no arena needed")), part);
  });

  it("copies several parts, in order, into the start of the arena when they fit, else into a buffer of their own", () => {
    const arena = new Uint8Array(GATHER_BYTES);
    const parts = [bytes(9, 1), bytes(65_536, 2), bytes(0), bytes(9, 3), bytes(65_536, 4)];
    const out = gather(parts, () => arena);
    assert.equal(out.buffer, arena.buffer);
    assert.equal(out.byteOffset, 0);
    assert.deepEqual(out, Uint8Array.from(parts.flatMap((p) => [...p])));
    const big = [bytes(GATHER_BYTES, 5), bytes(1, 6)];
    const own = gather(big, () => arena);
    assert.notEqual(own.buffer, arena.buffer);
    assert.deepEqual(own, Uint8Array.from(big.flatMap((p) => [...p])));
    assert.deepEqual(gather([], () => arena), new Uint8Array(0));
  });
});
