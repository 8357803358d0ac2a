import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { CacheEngine } from "../../../engine/cache.ts";
import { type InputRecord, recordInputs } from "../../../engine/input_trace.ts";
import { CANONICAL } from "../../../core/run/scenario.ts";

describe("recordInputs", () => {
  it("records every handle call with its time and effects, and a refused input with its error", () => {
    const records: InputRecord[] = [];
    const cache = recordInputs(new CacheEngine(), (r) => records.push(r));
    const s = {
      ...CANONICAL,
      files: 20,
      caches: 1,
      clients: 1,
      requests: 2,
      policy: "seed" as const,
    };
    cache.handle({ type: "registered", index: 0, scenario: s, port: 1, lists: [[1, 2]] }, 3);
    const pushed = {
      type: "pushBegan",
      file: 2,
      size: 2048,
      count: 1,
      next: null,
      began: 4,
    } as const;
    cache.handle(pushed, 5);
    const hit = cache.handle({ type: "requested", conn: 7, file: 2, at: 6 }, 6);
    assert.throws(() => cache.handle(pushed, 8), /already cached/);
    assert.deepEqual(records.map((r) => [r.now, (r.input as { type: string }).type]), [
      [3, "registered"],
      [5, "pushBegan"],
      [6, "requested"],
      [8, "pushBegan"],
    ]);
    assert.deepEqual(records[2]!.effects, hit);
    assert.deepEqual(records[2]!.effects, [{ kind: "hit", conn: 7, file: 2, at: 6 }]);
    assert.equal((records[3]!.effects[0] as { kind: string }).kind, "threw");
  });

  it("leaves an engine it does not wrap as it was", () => {
    const plain = new CacheEngine();
    assert.equal(plain.handle, CacheEngine.prototype.handle);
  });
});
