import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { FileSet } from "../../../../core/collections/file_set.ts";

describe("FileSet", () => {
  it("holds what a Set holds after any adds and deletes", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.array(fc.tuple(fc.boolean(), fc.nat(400)), { maxLength: 200 }),
        (files, ops) => {
          const bits = new FileSet(files);
          const set = new Set<number>();
          for (const [add, raw] of ops) {
            const f = raw % (files + 1);
            if (add) {
              bits.add(f);
              set.add(f);
            } else assert.equal(bits.delete(f), set.delete(f));
          }
          assert.equal(bits.size, set.size);
          for (let f = 0; f <= files + 40; f++) assert.equal(bits.has(f), set.has(f), `file ${f}`);
        },
      ),
    );
  });

  it("refuses ids past its end and says the range; never holds them", () => {
    const s = new FileSet(31);
    assert.throws(() => s.add(70), /Cannot add file 70: ids run from 1 to 31/);
    assert.throws(() => s.add(-1), /Cannot add file -1/);
    assert.throws(() => s.add(2.5), /Cannot add file 2.5/);
    assert.equal(s.has(70), false);
    assert.equal(s.has(-1), false);
    assert.equal(s.size, 0);
    s.add(31);
    assert.equal(s.has(31), true);
  });
});
