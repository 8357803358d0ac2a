/**
 * The scenario of a run: every parameter, its canonical default (the seed
 * project's workload), the request lists derived from it and the sharding.
 *
 * @module
 */

import * as v from "valibot";
import { ForesightError } from "../../errors.ts";
import {
  POLICY_NAMES,
  type PolicyName,
  type Scenario,
  ScenarioSchema,
} from "../../protocol/scenario_schema.ts";

/** Policies Foresight knows. */
export const POLICIES: typeof POLICY_NAMES = POLICY_NAMES;
// The scenario's types live beside its wire schema (`welcome` carries a scenario).
export type { PolicyName, Scenario };

/** Default time scale of live runs (see README: the fidelity benchmark picks it). */
export const DEFAULT_SCALE = 80;

/**
 * The seed project's workload: 10,000 files, 2 caches of 25 MiB, 4 clients of
 * 1,000 files, links of 1000 / 2000 / 3000 KiB/s; policy `foresight`.
 */
export const CANONICAL: Readonly<Scenario> = Object.freeze({
  files: 10_000,
  caches: 2,
  clients: 4,
  requests: 1_000,
  capacityKiB: 25_600,
  rateOriginClient: 1_000,
  rateOriginCache: 2_000,
  rateCacheClient: 3_000,
  scale: DEFAULT_SCALE,
  seed: 1,
  policy: "foresight",
});

/**
 * Checks a scenario against its schema (the one `welcome` carries).
 *
 * @throws {ForesightError} CONFIG naming the field, its value and what was expected
 */
export function checkScenario(s: Scenario): Scenario {
  const r = v.safeParse(ScenarioSchema, s);
  if (r.success) return r.output;
  const issue = r.issues[0];
  const path = v.getDotPath(issue);
  const field = path ?? "scenario";
  const value = path ? JSON.stringify((s as unknown as Record<string, unknown>)[path]) : "";
  throw new ForesightError(
    "CONFIG",
    `Cannot use scenario: ${field}${value ? ` is ${value}` : ""}: ${issue.message}`,
  );
}

/** splitmix32-style generator: deterministic numbers in [0, 1). */
export function rng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return ((z ^ (z >>> 16)) >>> 0) / 4_294_967_296;
  };
}

/**
 * Client `index`'s request list: `requests` distinct files drawn uniformly
 * from 1..files (Floyd's sampling), ascending.
 *
 * @example
 * ```ts
 * requestList(1, 0, 10_000, 1_000).length; // 1000
 * ```
 */
export function requestList(
  seed: number,
  index: number,
  files: number,
  requests: number,
): number[] {
  const next = rng(Math.imul(seed >>> 0, 0x01000193) ^ Math.imul(index + 1, 0x5bd1e995));
  const chosen = new Set<number>();
  for (let j = files - requests + 1; j <= files; j++) {
    const t = 1 + Math.floor(next() * j);
    chosen.add(chosen.has(t) ? j : t);
  }
  // A typed array sorts numbers without calling a comparator.
  return Array.from(Float64Array.from(chosen).sort());
}

/**
 * The synthetic files' sizes: file n is n KiB. The default size function of
 * the simulator, the bound and the policies.
 *
 * @example
 * ```ts
 * kibSize(7); // 7168
 * ```
 */
export function kibSize(file: number): number {
  return file * 1024;
}

/** Where a client fetches a file: {@link ORIGIN_SOURCE} or a cache index. */
export type Source = number;
/** The origin as a source. */
export const ORIGIN_SOURCE: Source = -1;

/** The cache that holds file `n`'s shard: `n mod caches` (odd/even for 2 caches). */
export function shardOf(file: number, caches: number): number {
  return file % caches;
}

/** KiB/s of simulated time → bytes/s of wall time at `scale`. */
export function wireRate(kibPerSecond: number, scale: number): number {
  return kibPerSecond * 1024 * scale;
}
