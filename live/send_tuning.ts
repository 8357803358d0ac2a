/**
 * How a role sends files: the payload of each `chunk` frame and the pacer's
 * time grain. The defaults were chosen by measurement (`bench/tuning.ts`
 * sweeps both against fidelity, CPU and memory); the roles take other values
 * only for that benchmark (`--chunk-bytes`, `--pacer-slot-ms`).
 *
 * @module
 */

import { CHUNK_BYTES } from "../protocol/mod.ts";
import { PACER_SLOT_MS } from "../core/links/pacer.ts";
import { ForesightError } from "../errors.ts";

/** The sending side's knobs. */
export interface SendTuning {
  /** Payload bytes per `chunk` frame (and a cache's page size). */
  readonly chunkBytes: number;
  /** The pacer's time grain in ms (see {@link PACER_SLOT_MS}). */
  readonly pacerSlotMs: number;
}

/** The measured defaults: {@link CHUNK_BYTES} and {@link PACER_SLOT_MS}. */
export const SEND_DEFAULTS: SendTuning = { chunkBytes: CHUNK_BYTES, pacerSlotMs: PACER_SLOT_MS };

/**
 * `given` over the defaults, checked.
 *
 * @throws {ForesightError} CONFIG for a chunk that is not a whole number of bytes in
 *   1..1048572 (a 1 MiB frame body holds its 4-byte file id too), or a slot that is
 *   negative or not finite
 * @example
 * ```ts
 * sendTuning({ chunkBytes: 262_144 }); // { chunkBytes: 262144, pacerSlotMs: 0.5 }
 * ```
 */
export function sendTuning(given: Partial<SendTuning> = {}): SendTuning {
  const t = { ...SEND_DEFAULTS, ...given };
  if (!(Number.isInteger(t.chunkBytes) && t.chunkBytes >= 1 && t.chunkBytes <= 1_048_572)) {
    throw new ForesightError(
      "CONFIG",
      `Cannot send chunks of ${t.chunkBytes} bytes: expected a whole number in 1..1048572`,
    );
  }
  if (!(Number.isFinite(t.pacerSlotMs) && t.pacerSlotMs >= 0)) {
    throw new ForesightError(
      "CONFIG",
      `Cannot pace in slots of ${t.pacerSlotMs} ms: expected a finite number >= 0`,
    );
  }
  return t;
}
