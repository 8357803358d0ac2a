import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { DemandLedger, ORIGIN_OWNER } from "../../../../core/demand/demand_ledger.ts";
import { isForesightError } from "../../../../errors.ts";

describe("DemandLedger", () => {
  it("counts one outstanding request per list entry", () => {
    const l = new DemandLedger(10);
    l.add([1, 2, 3]);
    l.add([2, 3]);
    assert.equal(l.outstanding(1), 1);
    assert.equal(l.outstanding(2), 2);
    assert.equal(l.outstanding(4), 0);
    assert.deepEqual(l.totals(), { added: 5, direct: 0, handed: 0, cancelled: 0, outstanding: 5 });
  });

  it("hands all of a file's demand to a cache and leaves the origin at zero", () => {
    const l = new DemandLedger(10);
    l.add([3]);
    l.add([3]);
    assert.equal(l.handOff(3, 1), 2);
    assert.equal(l.outstanding(3), 0);
    assert.equal(l.owner(3), 1);
    assert.throws(() => l.handOff(3, 0), (e) => isForesightError(e, "PROTOCOL"));
  });

  it("refuses a direct serve it does not owe, changing nothing", () => {
    const l = new DemandLedger(10);
    l.add([5]);
    assert.equal(l.serveDirect(5), true);
    assert.equal(l.serveDirect(5), false);
    assert.equal(l.outstanding(5), 0);
    assert.equal(l.owner(5), ORIGIN_OWNER);
  });

  it("rejects file ids outside 1..files", () => {
    const l = new DemandLedger(10);
    assert.throws(() => l.add([0]), (e) => isForesightError(e, "PROTOCOL"));
    assert.throws(() => l.add([11]), (e) => isForesightError(e, "PROTOCOL"));
    assert.throws(() => l.add([1.5]), (e) => isForesightError(e, "PROTOCOL"));
    assert.equal(l.totals().added, 0, "a bad list adds nothing");
  });

  it("conserves demand and never goes negative under any sequence of operations", () => {
    fc.assert(fc.property(
      fc.array(fc.uniqueArray(fc.integer({ min: 1, max: 20 }), { maxLength: 20 }), {
        maxLength: 5,
      }),
      fc.array(
        fc.tuple(
          fc.integer({ min: 0, max: 2 }),
          fc.integer({ min: 1, max: 20 }),
          fc.integer({ min: 0, max: 3 }),
        ),
        { maxLength: 60 },
      ),
      (lists, ops) => {
        const l = new DemandLedger(20);
        for (const list of lists) l.add(list);
        for (const [op, file, cache] of ops) {
          if (op === 0) l.serveDirect(file);
          else if (op === 1) l.cancel(file);
          else if (l.owner(file) === ORIGIN_OWNER) l.handOff(file, cache);
        }
        const t = l.totals();
        let left = 0;
        for (let f = 1; f <= 20; f++) {
          assert.ok(l.outstanding(f) >= 0);
          left += l.outstanding(f);
        }
        assert.equal(t.added, lists.reduce((a, x) => a + x.length, 0));
        assert.equal(t.outstanding, left);
        assert.equal(t.added, t.direct + t.handed + t.cancelled + t.outstanding);
      },
    ));
  });
});
