import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { MAX_AGAIN } from "../../../live/limits.ts";
import { WrongCopies } from "../../../live/wrong_copies.ts";
import { silentLogger } from "../../../core/run/log.ts";
import { isForesightError } from "../../../errors.ts";

function copies() {
  const asked: number[] = [];
  const wrong = new WrongCopies({
    ask: (file) => void asked.push(file),
    name: (id) => `f${id}`,
    log: silentLogger,
  });
  return { wrong, asked };
}

describe("WrongCopies", () => {
  it("asks again for a wrong copy, and counts a right one that then comes", () => {
    const { wrong, asked } = copies();
    wrong.came(7, true, false);
    assert.deepEqual(asked, [], "a right copy asks nothing");
    wrong.came(7, false, false);
    assert.deepEqual(asked, [7]);
    assert.equal(wrong.pending, true);
    assert.equal(wrong.asked(7), true);
    wrong.came(7, true);
    assert.equal(wrong.refetched, 1);
    assert.equal(wrong.pending, false);
  });

  it(`gives up after ${MAX_AGAIN} asks: the file stays wrong, nothing pending`, () => {
    const { wrong, asked } = copies();
    wrong.came(3, false, false);
    wrong.came(3, false);
    wrong.came(3, false);
    assert.deepEqual(asked, [3, 3]);
    assert.equal(wrong.pending, false);
    assert.equal(wrong.refetched, 0);
  });

  it("counts a refusal failed, keeps its message, and refuses one not asked", () => {
    const { wrong } = copies();
    wrong.came(5, false, false);
    wrong.refused({ type: "refuse", file: 5, code: "FILE_CHANGED", message: "Cannot serve f5" });
    assert.equal(wrong.failed, 1);
    assert.equal(wrong.error, "Cannot serve f5");
    assert.equal(wrong.pending, false);
    assert.throws(
      () => wrong.refused({ type: "refuse", file: 6, code: "FILE_CHANGED", message: "x" }),
      (e) => isForesightError(e, "PROTOCOL"),
    );
  });
});
