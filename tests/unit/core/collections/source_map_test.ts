import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { SourceMap } from "../../../../core/collections/source_map.ts";

describe("SourceMap", () => {
  it("behaves as a Map of sources after any sets and deletes, and lists origin first", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: -1, max: 20 }), fc.nat()), {
          maxLength: 100,
        }),
        (ops) => {
          const slots = new SourceMap<number>();
          const map = new Map<number, number>();
          for (const [set, source, value] of ops) {
            if (set) {
              slots.set(source, value);
              map.set(source, value);
            } else assert.equal(slots.delete(source), map.delete(source));
          }
          assert.equal(slots.size, map.size);
          for (let s = -1; s <= 22; s++) {
            assert.equal(slots.has(s), map.has(s));
            assert.equal(slots.get(s), map.get(s));
          }
          assert.deepEqual([...slots.entries()], [...map].sort((a, b) => a[0] - b[0]));
          for (const v of [...map.values(), -5]) assert.equal(slots.includes(v), v !== -5);
        },
      ),
    );
  });

  it("refuses a source below the origin's -1", () => {
    assert.throws(() => new SourceMap().set(-2, 1), /Cannot set source -2/);
  });
});
