/**
 * Foresight's fallback routing for lopsided rates (a slow cache inflow, slow
 * cache → client links): largest file first, each file goes where it ends
 * soonest. A file either stays off the caches (every requester direct) or
 * enters its shard's cache once, and then each requester takes it from
 * whichever of its two links (direct, or cache → client) would finish it
 * sooner. Between the two, the option whose busiest affected link finishes
 * sooner wins; ties go to the cache (fewer origin bytes). Link loads are
 * counted in seconds at the link's rate; a cache's first `capacity` bytes
 * cost its inflow nothing (the warm-up carries them).
 *
 * @module
 */

import type { Routing, RoutingInput } from "./flow_routing.ts";
import { ORIGIN_SOURCE, shardOf } from "../run/scenario.ts";
import { sortBySize } from "../collections/size_order.ts";

/**
 * The greedy routing.
 *
 * @example
 * ```ts
 * const routing = greedyRouting({ requesters, clients: 4, caches: 2, capacity, size, rates });
 * ```
 */
export function greedyRouting(input: RoutingInput): Routing {
  const { requesters, clients, caches, capacity, size, rates } = input;
  const routing: Routing = Array.from({ length: clients }, () => new Map());
  const direct = new Float64Array(clients);
  const inflow = new Float64Array(caches).fill(-capacity);
  const link = new Float64Array(caches * clients);
  const files = sortBySize([...requesters.keys()], size, "descending", "ascending");
  // Per requester of the file at hand: whether its cache link would finish it sooner.
  const via: boolean[] = [];
  for (const f of files) {
    const who = requesters.get(f)!;
    const s = size(f);
    let off = -Infinity;
    for (let i = 0; i < who.length; i++) {
      off = Math.max(off, (direct[who[i]!]! + s) / rates.originClient);
    }
    if (caches === 0 || s > capacity) {
      for (const c of who) assign(f, c, ORIGIN_SOURCE);
      continue;
    }
    const k = shardOf(f, caches);
    let on = Math.max(0, inflow[k]! + s) / rates.originCache;
    let any = false;
    via.length = 0;
    for (let i = 0; i < who.length; i++) {
      const c = who[i]!;
      const d = (direct[c]! + s) / rates.originClient;
      const l = (link[k * clients + c]! + s) / rates.cacheClient;
      on = Math.max(on, Math.min(d, l));
      via.push(l <= d);
      if (l <= d) any = true;
    }
    if (off < on || !any) {
      for (const c of who) assign(f, c, ORIGIN_SOURCE);
    } else {
      inflow[k]! += s;
      for (let i = 0; i < who.length; i++) assign(f, who[i]!, via[i] ? k : ORIGIN_SOURCE);
    }
  }
  return routing;

  function assign(f: number, c: number, source: number): void {
    routing[c]!.set(f, source);
    if (source === ORIGIN_SOURCE) direct[c]! += size(f);
    else link[source * clients + c]! += size(f);
  }
}
