/**
 * The discrete-event simulator: runs a scenario in virtual time, driving the
 * very engines the live roles run (engine/origin.ts, engine/cache.ts,
 * engine/client.ts, which call the policies of core/policies/policy_registry.ts): this file
 * only moves messages and time, with the network model of sim/README.md:
 *
 * - Every directed connection is its own link at its configured rate
 *   (origin → client `rateOriginClient`, origin → cache `rateOriginCache`,
 *   cache → client `rateCacheClient`, KiB/s; a file's bytes are the workload's, by default
 *   file n is n·1024 bytes). A link
 *   sends whole files one at a time, first queued first sent.
 * - Control messages (requests, misses, plans, hints) take no time; each is
 *   delivered as its own step at the moment it is sent.
 * - A push's header reaches the cache when the push begins: the cache
 *   reserves the file's whole size then (`CachePolicy.pushed`). A cache may
 *   forward a file still arriving: the forward starts when the client's
 *   request is served (never before the header) and ends at
 *   max(start + size/rate, the push's end).
 * - A request racing a push is whatever the cache policy says: `wait` parks
 *   it until the file's push begins (or the origin declines it), then it is
 *   asked again. A direct request for a file whose demand a cache has just
 *   taken is answered with a miss by the origin (as live), and the client
 *   asks the cache again.
 * - Warm-up pushes are applied before time 0 and take no time; caches start
 *   refilling and clients start fetching at time 0 (the start signal).
 * - The makespan is the moment the last client holds all its files.
 *
 * Same scenario and lists → the same steps in the same order, so the same
 * result on every run and every runtime.
 *
 * @module
 */

import { ForesightError } from "../errors.ts";
import { requestList, type Scenario } from "../core/run/scenario.ts";
import { type SimCacheState, SimRun } from "./sim_run.ts";
import type { SimResult } from "./sim_result.ts";

export type { SimCache, SimClient, SimResult } from "./sim_result.ts";

/** Options of {@link simulate}. */
export interface SimOptions {
  /** Request lists, one per client (default: the scenario's, from `requestList`). */
  readonly lists?: readonly (readonly number[])[];
  /** A file's bytes (default: file n is n KiB, the synthetic files). */
  readonly size?: (file: number) => number;
  /** Check the caches' invariants after every step (slow; for tests). */
  readonly check?: boolean;
  /** Give up after this many steps (default 200 million). */
  readonly maxSteps?: number;
}

/**
 * Simulates `scenario` under `scenario.policy`.
 *
 * @throws {ForesightError} INTERNAL when the run cannot finish (a client
 * never gets its files) or a policy breaks its contract; CAPACITY when a
 * cache would exceed its capacity
 * @example
 * ```ts
 * const result = simulate({ ...CANONICAL, policy: "foresight" });
 * result.makespan; // seconds of simulated time
 * ```
 */
export function simulate(scenario: Scenario, options: SimOptions = {}): SimResult {
  const s = scenario;
  const lists = options.lists ??
    Array.from({ length: s.clients }, (_, c) => requestList(s.seed, c, s.files, s.requests));
  if (lists.length !== s.clients) {
    throw new ForesightError(
      "CONFIG",
      `Cannot simulate: ${lists.length} lists for ${s.clients} clients`,
    );
  }
  const run = new SimRun(s, lists, options.size);
  const { agenda, caches, clients } = run;
  run.begin();
  const maxSteps = options.maxSteps ?? 200_000_000;
  while (agenda.step()) {
    if (options.check) checkCaches(caches);
    if (agenda.taken > maxSteps) {
      throw new ForesightError(
        "INTERNAL",
        `Cannot finish the simulation: more than ${maxSteps} steps`,
      );
    }
  }
  run.finish();
  let originToCache = run.warmup.bytes;
  let cacheToClient = 0;
  for (const cache of caches) {
    originToCache += cache.fromOrigin.bytes;
    for (const link of cache.toClient) cacheToClient += link.bytes;
  }
  return {
    scenario: s,
    makespan: Math.max(0, ...clients.map((c) => c.stats.finishSeconds)),
    steps: agenda.taken,
    links: {
      originToCache,
      originToClient: run.toClient.reduce((a, l) => a + l.bytes, 0),
      cacheToClient,
    },
    warmup: { ...run.warmup },
    clients: clients.map((c) => c.stats),
    caches: caches.map((c) => c.stats),
    ledger: run.origin.st.ledger.totals(),
    ownerRaces: run.origin.summary.ownerRaces,
    redirects: run.origin.summary.redirects,
  };
}

function checkCaches(caches: readonly SimCacheState[]): void {
  for (const [k, cache] of caches.entries()) {
    const store = cache.engine.store!;
    let used = 0;
    for (const e of store.entries()) {
      if (!(e.count >= 0) || e.readers < 0) {
        throw new ForesightError(
          "INTERNAL",
          `Cannot keep cache ${k}'s invariants: file ${e.file} has count ${e.count}, readers ${e.readers}`,
        );
      }
      used += e.size;
    }
    if (used !== store.used || store.used > store.capacity) {
      throw new ForesightError(
        "INTERNAL",
        `Cannot keep cache ${k}'s invariants: ${store.used} bytes used (entries sum ${used}) of ${store.capacity}`,
      );
    }
  }
}
