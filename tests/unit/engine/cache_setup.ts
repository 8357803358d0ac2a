/**
 * A cache engine ready to drive by hand, for cache_test.ts and
 * cache_schedule_test.ts.
 *
 * @module
 */
import { type CacheEffect, CacheEngine, type CacheInput } from "../../../engine/cache.ts";
import { CANONICAL, type PolicyName, type Scenario } from "../../../core/run/scenario.ts";

export const kib = (n: number) => n * 1024;

/** 20 files, one cache of `capacityKiB`, two clients. */
export function scenario(policy: PolicyName, capacityKiB = 20): Scenario {
  return { ...CANONICAL, files: 20, caches: 1, clients: 2, requests: 5, capacityKiB, policy };
}

/** A registered engine under `policy`, and a `step` that feeds it at an advancing clock. */
export function engine(policy: PolicyName, capacityKiB?: number) {
  const cache = new CacheEngine();
  let now = 0;
  const step = (input: CacheInput, at = now + 1): CacheEffect[] => {
    now = at;
    return cache.handle(input, now);
  };
  step({
    type: "registered",
    index: 0,
    scenario: scenario(policy, capacityKiB),
    port: 9001,
    lists: [[1, 2, 3, 4, 5], [2, 4, 6, 8, 10]],
  });
  const push = (file: number, count: number, next: number | null = null, began?: number) =>
    step({ type: "pushBegan", file, size: kib(file), count, next, began: began ?? now + 1 });
  return { cache, step, push };
}

/** The effects but logs and reports. */
export const acts = (effects: CacheEffect[]) =>
  effects.filter((e) => e.kind !== "log" && e.kind !== "report");
