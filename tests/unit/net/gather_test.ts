import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { DIRECT_BYTES, GATHER_BYTES, writesOf } from "../../../net/gather.ts";

const bytes = (n: number, fill = n & 0xff) => new Uint8Array(n).fill(fill);
const joined = (parts: readonly Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => [...p]));

describe("writesOf", () => {
  it("writes a large part that follows no small one as it is, and gathers a header with its payload", () => {
    const arena = new Uint8Array(GATHER_BYTES);
    const page = bytes(DIRECT_BYTES, 1);
    const head = bytes(9, 2);
    const payload = bytes(DIRECT_BYTES + 5, 3);
    const parts = [page, page, head, payload, head, payload, page];
    const writes = writesOf(parts, () => arena);
    assert.equal(writes.length, 4);
    assert.equal(writes[0], page, "not copied");
    assert.equal(writes[1], page);
    assert.equal(writes[2]!.buffer, arena.buffer, "header and payload gathered into the arena");
    assert.equal(writes[2]!.length, 2 * (9 + DIRECT_BYTES + 5));
    assert.equal(writes[3], page);
    assert.deepEqual(joined(writes), joined(parts));
  });

  it("never asks for the arena when nothing is gathered, and overflows into fresh buffers", () => {
    let asked = 0;
    const arena = new Uint8Array(GATHER_BYTES);
    const lone = [bytes(DIRECT_BYTES), bytes(DIRECT_BYTES + 1)];
    assert.deepEqual(writesOf(lone, () => (asked++, arena)), lone);
    assert.equal(asked, 0);
    const small = Array.from({ length: 80 }, (_, i) => bytes(1 + i * 97));
    const big = [bytes(3), bytes(GATHER_BYTES), bytes(3), bytes(DIRECT_BYTES)];
    const writes = writesOf([...small, ...big], () => arena);
    assert.deepEqual(joined(writes), joined([...small, ...big]));
    assert.ok(writes.some((w) => w.buffer !== arena.buffer), "what does not fit gets its own");
    assert.deepEqual(writesOf([], () => arena), []);
  });
});
