/**
 * Foresight's balanced routing: files several clients want go through their
 * cache (its inflow pays for them once), uncacheable files go direct, and
 * each client's other files are split between its direct link and the
 * caches' inflows so that every link finishes together: for a makespan T the
 * split is a flow problem (each (cache, client) group of files sends its
 * bytes to the client's direct link, of capacity rateOriginClient·T, or to
 * the cache's inflow, of capacity rateOriginCache·T plus the cache's
 * capacity, which the warm-up fills before the start, through at most
 * rateCacheClient·T on that cache → client link), and the least feasible T
 * is found by bisection over max-flow checks. Each group's fractional split
 * is rounded to whole files, largest first, never past the group's direct
 * share (direct links are the slowest; the caches absorb the rest).
 *
 * @module
 */

import { FlowNetwork } from "./max_flow.ts";
import { ORIGIN_SOURCE, shardOf, type Source } from "../run/scenario.ts";
import { sortBySize } from "../collections/size_order.ts";

/** Link rates in bytes per second (any one unit of time). */
export interface PlanRates {
  readonly originClient: number;
  readonly originCache: number;
  readonly cacheClient: number;
}

/** What a routing reads: every file's requesting clients, and the parameters. */
export interface RoutingInput {
  /** File → the clients that want it. */
  readonly requesters: ReadonlyMap<number, readonly number[]>;
  readonly clients: number;
  readonly caches: number;
  /** Capacity of each cache, bytes. */
  readonly capacity: number;
  size(file: number): number;
  readonly rates: PlanRates;
}

/** Per client: file → source. */
export type Routing = Map<number, Source>[];

interface Groups {
  /** Per group (cache·clients + client): single-client cacheable files. */
  files: number[][];
  bytes: Float64Array;
  directFixed: Float64Array;
  inflowFixed: Float64Array;
  linkFixed: Float64Array;
}

/**
 * The balanced routing and the fluid makespan it balances to.
 *
 * @example
 * ```ts
 * const { routing, seconds } = flowRouting({ requesters, clients: 4, caches: 2, capacity, size, rates });
 * ```
 */
export function flowRouting(input: RoutingInput): { routing: Routing; seconds: number } {
  const { requesters, clients, caches, capacity, size } = input;
  const routing: Routing = Array.from({ length: clients }, () => new Map());
  const g: Groups = {
    files: Array.from({ length: caches * clients }, () => []),
    bytes: new Float64Array(caches * clients),
    directFixed: new Float64Array(clients),
    inflowFixed: new Float64Array(caches),
    linkFixed: new Float64Array(caches * clients),
  };
  // forEach, not for-of: a Map's for-of makes an entry array per file.
  requesters.forEach((who, f) => {
    const s = size(f);
    if (caches === 0 || s > capacity) {
      for (const c of who) {
        g.directFixed[c]! += s;
        routing[c]!.set(f, ORIGIN_SOURCE);
      }
      return;
    }
    const k = shardOf(f, caches);
    if (who.length > 1) {
      g.inflowFixed[k]! += s;
      for (const c of who) {
        g.linkFixed[k * clients + c]! += s;
        routing[c]!.set(f, k);
      }
    } else {
      g.files[k * clients + who[0]!]!.push(f);
      g.bytes[k * clients + who[0]!]! += s;
    }
  });
  const { seconds, direct } = balance(g, caches, clients, capacity, input.rates);
  for (let k = 0; k < caches; k++) {
    for (let c = 0; c < clients; c++) {
      const files = sortBySize(g.files[k * clients + c]!, size, "descending", "descending");
      let left = direct[k * clients + c]!;
      for (const f of files) {
        const s = size(f);
        if (s <= left) {
          left -= s;
          routing[c]!.set(f, ORIGIN_SOURCE);
        } else {
          routing[c]!.set(f, k);
        }
      }
    }
  }
  return { routing, seconds };
}

/**
 * The least makespan T (to a relative 1e-9) at which the groups' bytes can
 * be split between direct links and cache inflows, and the direct bytes of
 * each group at that T.
 */
function balance(
  g: Groups,
  caches: number,
  clients: number,
  capacity: number,
  rates: PlanRates,
): { seconds: number; direct: Float64Array } {
  const groups = caches * clients;
  let lo = 0;
  let hi = 0;
  for (let c = 0; c < clients; c++) {
    let all = g.directFixed[c]!;
    for (let k = 0; k < caches; k++) all += g.bytes[k * clients + c]!;
    hi = Math.max(hi, all / rates.originClient);
    lo = Math.max(lo, g.directFixed[c]! / rates.originClient);
  }
  for (let k = 0; k < caches; k++) {
    lo = Math.max(lo, (g.inflowFixed[k]! - capacity) / rates.originCache);
    for (let c = 0; c < clients; c++) {
      lo = Math.max(lo, g.linkFixed[k * clients + c]! / rates.cacheClient);
    }
  }
  hi = Math.max(hi, lo);
  let total = 0;
  for (let i = 0; i < groups; i++) total += g.bytes[i]!;
  const epsilon = Math.max(total, 1) * 1e-12;

  const split = (t: number): Float64Array | null => {
    // Nodes: 0 source, 1 sink, then groups, clients, caches.
    const net = new FlowNetwork(2 + groups + clients + caches, epsilon);
    const edges = new Int32Array(groups).fill(-1);
    for (let k = 0; k < caches; k++) {
      for (let c = 0; c < clients; c++) {
        const i = k * clients + c;
        if (g.bytes[i]! <= 0) continue;
        net.addEdge(0, 2 + i, g.bytes[i]!);
        edges[i] = net.addEdge(2 + i, 2 + groups + c, g.bytes[i]!);
        net.addEdge(2 + i, 2 + groups + clients + k, rates.cacheClient * t - g.linkFixed[i]!);
      }
    }
    for (let c = 0; c < clients; c++) {
      net.addEdge(2 + groups + c, 1, rates.originClient * t - g.directFixed[c]!);
    }
    for (let k = 0; k < caches; k++) {
      net.addEdge(
        2 + groups + clients + k,
        1,
        rates.originCache * t + capacity - g.inflowFixed[k]!,
      );
    }
    if (net.maxFlow(0, 1) < total - epsilon * (groups + 1)) return null;
    const direct = new Float64Array(groups);
    for (let i = 0; i < groups; i++) direct[i] = edges[i]! >= 0 ? net.flow(edges[i]!) : 0;
    return direct;
  };

  let best = split(hi) ?? new Float64Array(groups).fill(Infinity);
  if (total > 0) {
    for (let round = 0; round < 100 && hi - lo > 1e-9 * hi; round++) {
      const mid = (lo + hi) / 2;
      const got = split(mid);
      if (got) {
        hi = mid;
        best = got;
      } else {
        lo = mid;
      }
    }
  }
  return { seconds: hi, direct: best };
}
