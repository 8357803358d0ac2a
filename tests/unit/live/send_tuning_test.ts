import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { SEND_DEFAULTS, sendTuning } from "../../../live/send_tuning.ts";
import { CHUNK_BYTES } from "../../../protocol/mod.ts";
import { PACER_SLOT_MS } from "../../../core/links/pacer.ts";
import { isForesightError } from "../../../errors.ts";

describe("sendTuning", () => {
  it("defaults to the measured chunk size and pacer slot", () => {
    assert.deepEqual(sendTuning(), { chunkBytes: CHUNK_BYTES, pacerSlotMs: PACER_SLOT_MS });
    assert.deepEqual(SEND_DEFAULTS, sendTuning({}));
  });

  it("takes what is given over the defaults", () => {
    assert.deepEqual(sendTuning({ chunkBytes: 262_144 }), {
      chunkBytes: 262_144,
      pacerSlotMs: PACER_SLOT_MS,
    });
    assert.equal(sendTuning({ pacerSlotMs: 0 }).pacerSlotMs, 0);
  });

  it("refuses a chunk no frame can carry and a slot that is not a duration", () => {
    for (const bad of [0, 1.5, 1_048_573, NaN]) {
      assert.throws(() => sendTuning({ chunkBytes: bad }), (e) => isForesightError(e, "CONFIG"));
    }
    for (const bad of [-1, Infinity, NaN]) {
      assert.throws(() => sendTuning({ pacerSlotMs: bad }), (e) => isForesightError(e, "CONFIG"));
    }
  });
});
