/**
 * Foresight's tiered routing, for tiers whose caches' inflows are scarce
 * (many clients per cache): a byte of cache inflow serves every client that
 * takes the file from the cache, so it is worth most on the files the most
 * clients want. For a makespan T each cache's inflow (rateOriginCache·T plus
 * its capacity, which the warm-up fills) takes its files by tier — the files
 * exactly m clients want — from the highest m down: the tiers that fit go
 * through the cache whole, the tiers below them go direct, and the first
 * tier that does not fit (the marginal tier m*) is split: each client's
 * share of it is a group that sends its bytes to the client's direct link
 * (rateOriginClient·T) or to the cache, whose inflow, counted in client
 * bytes, holds m* times what is left of it. When every shared file fits,
 * the single-client files are the marginal tier (m* = 1), as in the
 * balanced routing of {@link flowRouting}. The least feasible T is found by
 * bisection over max-flow checks. Whole files: of a shared marginal tier,
 * the client whose direct link is the most loaded gets one of its files
 * cached (see {@link cacheMarginal}) while the cache's inflow has room; of
 * single-client files, each client's largest go through the cache while
 * at least half of each is left of its cache share. This is the structure of the fluid
 * bound's optimum (sim/lower_bound.ts) at 8 caches × 32 clients: tiers 3
 * and up cached, tier 2 split, single-client files direct.
 *
 * @module
 */

import type { Routing, RoutingInput } from "./flow_routing.ts";
import { FlowNetwork } from "./max_flow.ts";
import { ORIGIN_SOURCE, shardOf } from "../run/scenario.ts";
import { sortBySize } from "../collections/size_order.ts";

/** One cache's cacheable files by tier (number of requesting clients), highest tier first. */
interface Tier {
  m: number;
  files: number[];
  bytes: number;
  /** The requesting clients, in the order first met. */
  who: number[];
  /** Per client: its bytes of the tier (0 for a client not in `who`). */
  perClient: Float64Array;
  /** Per client: 1 when in `who`. */
  isIn: Uint8Array;
}

/** How one makespan splits: per cache its marginal tier, per group its direct bytes. */
interface Split {
  marginal: number[];
  /** Per group (cache·clients + client): direct bytes of its marginal-tier share. */
  direct: Float64Array;
}

/**
 * The tiered routing and the fluid makespan it balances to.
 *
 * @example
 * ```ts
 * const { routing, seconds } = tieredRouting({ requesters, clients: 32, caches: 8, capacity, size, rates });
 * ```
 */
export function tieredRouting(input: RoutingInput): { routing: Routing; seconds: number } {
  const { requesters, clients, caches, capacity, size } = input;
  const routing: Routing = Array.from({ length: clients }, () => new Map());
  const uncacheable = new Float64Array(clients);
  const byTier: Map<number, Tier>[] = Array.from({ length: caches }, () => new Map());
  // forEach, not for-of: a Map's for-of makes an entry array per file.
  requesters.forEach((who, f) => {
    const s = size(f);
    if (caches === 0 || s > capacity) {
      for (const c of who) {
        uncacheable[c]! += s;
        routing[c]!.set(f, ORIGIN_SOURCE);
      }
      return;
    }
    const tiers = byTier[shardOf(f, caches)]!;
    const t: Tier = tiers.get(who.length) ??
      {
        m: who.length,
        files: [],
        bytes: 0,
        who: [],
        perClient: new Float64Array(clients),
        isIn: new Uint8Array(clients),
      };
    t.files.push(f);
    t.bytes += s;
    for (const c of who) {
      if (t.isIn[c] === 0) {
        t.isIn[c] = 1;
        t.who.push(c);
      }
      t.perClient[c]! += s;
    }
    tiers.set(who.length, t);
  });
  const tiers = byTier.map((m) => [...m.values()].sort((a, b) => b.m - a.m));
  const { seconds, split } = bisect(input, tiers, uncacheable);
  const load = Float64Array.from(uncacheable);
  const budget = new Float64Array(caches);
  const pending: number[][] = Array.from({ length: clients }, () => []);
  tiers.forEach((list, k) => {
    const m = split.marginal[k]!;
    budget[k] = input.rates.originCache * seconds + capacity;
    for (const tier of list) {
      if (tier.m > m) budget[k]! -= tier.bytes;
      for (const f of tier.files) {
        for (const c of requesters.get(f)!) {
          routing[c]!.set(f, tier.m > m ? k : ORIGIN_SOURCE);
          if (tier.m > m) continue;
          load[c]! += size(f);
          if (tier.m === m && m > 1) pending[c]!.push(f);
        }
      }
    }
  });
  cacheMarginal(input, routing, {
    load,
    budget,
    pending,
    limit: input.rates.originClient * seconds,
  });
  tiers.forEach((list, k) => {
    const marginal = list.find((t) => t.m === 1 && split.marginal[k] === 1);
    if (!marginal) return;
    // Single-client files: each client's cache share of them, largest first.
    const share = new Float64Array(clients);
    for (const f of marginal.files) share[requesters.get(f)![0]!]! += size(f);
    for (let c = 0; c < clients; c++) share[c]! -= split.direct[k * clients + c]!;
    for (const f of sortBySize(marginal.files, size, "descending", "descending")) {
      const c = requesters.get(f)![0]!;
      if (share[c]! < size(f) / 2) continue;
      routing[c]!.set(f, k);
      share[c]! -= size(f);
    }
  });
  return { routing, seconds };
}

/**
 * Shared files of a marginal tier through their caches, one at a time: the
 * client whose direct link is the most loaded gets one of its files cached
 * — one its other requesters need off their direct links too if it has
 * one, else the one they need most, largest first — while its cache's
 * inflow has room; until no direct link is over `limit` or none can be
 * relieved.
 */
function cacheMarginal(
  input: RoutingInput,
  routing: Routing,
  state: { load: Float64Array; budget: Float64Array; pending: number[][]; limit: number },
): void {
  const { requesters, caches, size } = input;
  const { load, budget, pending, limit } = state;
  for (const list of pending) sortBySize(list, size, "descending", "descending");
  const done = new Set<number>();
  const stuck = new Set<number>();
  while (true) {
    let c = -1;
    for (let i = 0; i < load.length; i++) {
      if (!stuck.has(i) && load[i]! > limit && (c < 0 || load[i]! > load[c]!)) c = i;
    }
    if (c < 0) return;
    let best = -1;
    let bestScore = -Infinity;
    for (const f of pending[c]!) {
      const s = size(f);
      if (done.has(f) || budget[shardOf(f, caches)]! < s) continue;
      let score = 0;
      for (const p of requesters.get(f)!) score += Math.min(s, Math.max(0, load[p]! - limit));
      if (score > bestScore + 1e-9 * s) {
        best = f;
        bestScore = score;
      }
    }
    if (best < 0) {
      stuck.add(c);
      continue;
    }
    done.add(best);
    const k = shardOf(best, caches);
    budget[k]! -= size(best);
    for (const p of requesters.get(best)!) {
      load[p]! -= size(best);
      routing[p]!.set(best, k);
    }
  }
}

/** The least feasible makespan (to a relative 1e-9) and its split. */
function bisect(
  input: RoutingInput,
  tiers: readonly Tier[][],
  uncacheable: Float64Array,
): { seconds: number; split: Split } {
  const { requesters, clients, rates } = input;
  const demand = Float64Array.from(uncacheable);
  requesters.forEach((who, f) => {
    if (input.caches > 0 && input.size(f) <= input.capacity) {
      for (const c of who) demand[c]! += input.size(f);
    }
  });
  let lo = 0;
  let hi = 0;
  for (let c = 0; c < clients; c++) {
    lo = Math.max(lo, uncacheable[c]! / rates.originClient);
    hi = Math.max(hi, demand[c]! / rates.originClient);
  }
  hi = Math.max(hi, lo);
  // Every tier direct: feasible at `hi` unless a cache's inflow or links are
  // needed after all (never, as the split at `hi` can send every group direct).
  let best = split(input, tiers, uncacheable, hi) ??
    { marginal: tiers.map(() => Infinity), direct: new Float64Array(0) };
  for (let round = 0; round < 100 && hi - lo > 1e-9 * hi; round++) {
    const mid = (lo + hi) / 2;
    const got = split(input, tiers, uncacheable, mid);
    if (got) {
      hi = mid;
      best = got;
    } else {
      lo = mid;
    }
  }
  return { seconds: hi, split: best };
}

/** The split at makespan `t`, or null when it is not feasible. */
function split(
  input: RoutingInput,
  tiers: readonly Tier[][],
  uncacheable: Float64Array,
  t: number,
): Split | null {
  const { clients, caches, capacity, rates } = input;
  const groups = caches * clients;
  const directFixed = Float64Array.from(uncacheable);
  const linkFixed = new Float64Array(groups);
  const flexible = new Float64Array(groups);
  const inflowLeft = new Float64Array(caches);
  const marginal: number[] = [];
  const fitsLinks = (tier: Tier, k: number) => {
    for (let i = 0; i < tier.who.length; i++) {
      const c = tier.who[i]!;
      if (linkFixed[k * clients + c]! + tier.perClient[c]! > rates.cacheClient * t) return false;
    }
    return true;
  };
  for (let k = 0; k < caches; k++) {
    let budget = rates.originCache * t + capacity;
    let m = 0;
    for (const tier of tiers[k]!) {
      if (m === 0 && tier.m > 1 && tier.bytes <= budget && fitsLinks(tier, k)) {
        budget -= tier.bytes;
        for (let i = 0; i < tier.who.length; i++) {
          const c = tier.who[i]!;
          linkFixed[k * clients + c]! += tier.perClient[c]!;
        }
        continue;
      }
      const here = m === 0;
      if (here) m = tier.m;
      // Per client, the tier's bytes summed once (sizes are whole bytes, so
      // the sums are exact: the same as adding file by file).
      for (let i = 0; i < tier.who.length; i++) {
        const c = tier.who[i]!;
        const bytes = tier.perClient[c]!;
        if (here) flexible[k * clients + c]! += bytes;
        else directFixed[c]! += bytes;
      }
    }
    marginal.push(m);
    inflowLeft[k] = m * budget;
  }
  const slack = (rates.originClient + rates.cacheClient) * t * 1e-12;
  for (let c = 0; c < clients; c++) {
    if (directFixed[c]! > rates.originClient * t + slack) return null;
  }
  for (let i = 0; i < groups; i++) {
    if (linkFixed[i]! > rates.cacheClient * t + slack) return null;
  }
  let total = 0;
  for (let i = 0; i < groups; i++) total += flexible[i]!;
  const epsilon = Math.max(total, 1) * 1e-12;
  // Nodes: 0 source, 1 sink, then groups, clients, caches.
  const net = new FlowNetwork(2 + groups + clients + caches, epsilon);
  const edges = new Int32Array(groups).fill(-1);
  for (let k = 0; k < caches; k++) {
    for (let c = 0; c < clients; c++) {
      const i = k * clients + c;
      if (flexible[i]! <= 0) continue;
      net.addEdge(0, 2 + i, flexible[i]!);
      edges[i] = net.addEdge(2 + i, 2 + groups + c, flexible[i]!);
      net.addEdge(2 + i, 2 + groups + clients + k, rates.cacheClient * t - linkFixed[i]!);
    }
  }
  for (let c = 0; c < clients; c++) {
    net.addEdge(2 + groups + c, 1, rates.originClient * t - directFixed[c]!);
  }
  for (let k = 0; k < caches; k++) net.addEdge(2 + groups + clients + k, 1, inflowLeft[k]!);
  if (total > 0 && net.maxFlow(0, 1) < total - epsilon * (groups + 1)) return null;
  const direct = new Float64Array(groups);
  for (let i = 0; i < groups; i++) direct[i] = edges[i]! >= 0 ? net.flow(edges[i]!) : 0;
  return { marginal, direct };
}
