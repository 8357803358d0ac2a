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

/**
 * Policy names.
 * @example `POLICY_NAMES.includes("lru"); // true`
 */
export const POLICY_NAMES = ["seed", "nocache", "lru", "belady", "foresight"] as const;

/**
 * One of {@link POLICY_NAMES}.
 * @example `const policy: PolicyName = "foresight";`
 */
export type PolicyName = typeof POLICY_NAMES[number];

/**
 * Every parameter of a run. Rates are KiB/s of simulated time.
 *
 * @example
 * ```ts
 * const small: Scenario = { ...CANONICAL, files: 300, requests: 60 };
 * ```
 */
export interface Scenario {
  /** Number of files; file n (1..files) is n KiB. */
  files: number;
  /** Number of cache servers. */
  caches: number;
  /** Number of clients. */
  clients: number;
  /** Distinct files each client requests. */
  requests: number;
  /** Capacity of each cache in KiB. */
  capacityKiB: number;
  /** Origin → client link rate, KiB/s. */
  rateOriginClient: number;
  /** Origin → cache link rate, KiB/s. */
  rateOriginCache: number;
  /** Cache → client link rate, KiB/s. */
  rateCacheClient: number;
  /** Wall-clock speed-up: links run at rate × scale; simulated time = wall time × scale. */
  scale: number;
  /** Run seed: request lists and file contents derive from it. */
  seed: number;
  /** Caching policy. */
  policy: PolicyName;
}

/**
 * The schema of {@link Scenario}: every field's range, and `requests` at most `files`.
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

/**
 * True when `A` and `B` are identical: stricter than assignable both ways, so
 * an optional field or a `readonly` on one side only makes it false.
 */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true
  : false;
/** Fails to compile unless `T` is `true`. */
type Expect<T extends true> = T;
// The schema's output and the interface are the same type (checked at compile
// time): neither can gain, lose or retype a field alone.
type _SchemaMatchesScenario = Expect<Same<v.InferOutput<typeof ScenarioSchema>, Scenario>>;
