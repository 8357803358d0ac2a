/**
 * The valibot schema of a run's scenario: carried by `welcome` so every role
 * runs the same parameters, and used to validate flags and config files.
 *
 * @module
 */

import * as v from "valibot";

const whole = (min: number, max: number) =>
  v.pipe(v.number(), v.safeInteger(), v.minValue(min), v.maxValue(max));
const rate = v.pipe(v.number(), v.finite(), v.gtValue(0));

/** Policy names. */
export const POLICY_NAMES = ["seed", "nocache", "lru", "belady", "foresight"] as const;

/**
 * Every parameter of a run. Rates are KiB/s of simulated time.
 *
 * @example
 * ```ts
 * v.parse(ScenarioSchema, { ...CANONICAL });
 * ```
 */
export const ScenarioSchema = v.pipe(
  v.object({
    files: whole(1, 2_000_000),
    caches: whole(1, 1000),
    clients: whole(1, 10_000),
    requests: whole(1, 2_000_000),
    capacityKiB: whole(0, 2 ** 40),
    rateOriginClient: rate,
    rateOriginCache: rate,
    rateCacheClient: rate,
    scale: v.pipe(v.number(), v.finite(), v.gtValue(0), v.maxValue(1_000_000)),
    seed: whole(-(2 ** 31), 2 ** 32 - 1),
    policy: v.picklist(POLICY_NAMES),
  }),
  v.check(
    (s) => s.requests <= s.files,
    "requests must not exceed files (each client's requests are distinct)",
  ),
);
