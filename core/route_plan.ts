/**
 * The foresight planner: from every client's request list, decide for each
 * request whether it travels directly (origin → client) or through its
 * shard's cache, which files each cache is warmed with, and the order of
 * everything, so that every link the origin feeds finishes at about the same
 * moment.
 *
 * Routing. A file larger than a cache always goes direct. A file several
 * clients want goes through its cache (the cache's inflow pays for it once).
 * Each client's other files are split between its direct link and the
 * caches' inflows: for a makespan T, the split is a flow problem (each
 * (cache, client) group of files sends its bytes to the client's direct link,
 * of capacity rateOriginClient·T, or to the cache's inflow, of capacity
 * rateOriginCache·T plus the cache's capacity, which the warm-up fills before
 * the start, and at most rateCacheClient·T per cache → client link), and the
 * least feasible T is found by bisection over max-flow checks. Each group's
 * fractional split is rounded to whole files, largest first.
 *
 * Order. Each cache's files go in ascending size: the smallest fill the
 * warm-up up to capacity, the rest are pushed after the start, one after
 * another. Each client fetches its files from every source in that same
 * ascending order, one outstanding per source, so every link runs at once,
 * a cache forwards each file while it still arrives, and a client never waits
 * on a file behind one it has not asked for.
 *
 * @module
 */

import { FlowNetwork } from "./max_flow.ts";
import { ORIGIN_SOURCE, type Source } from "./policy.ts";
import { shardOf } from "./scenario.ts";

/** Link rates in bytes per second (any one unit of time). */
export interface PlanRates {
  readonly originClient: number;
  readonly originCache: number;
  readonly cacheClient: number;
}

/** What the planner reads. */
export interface PlanInput {
  readonly lists: readonly (readonly number[])[];
  readonly caches: number;
  /** Capacity of each cache, bytes. */
  readonly capacity: number;
  /** A file's size, bytes. */
  size(file: number): number;
  readonly rates: PlanRates;
}

/** The plan of a run. */
export interface RoutePlan {
  /** Per client: every file with its source, in the order to fetch (per source). */
  readonly routes: [number, Source][][];
  /** Per cache: the files pushed before the start, in order. */
  readonly warm: number[][];
  /** Per cache: the files pushed after the start, in order. */
  readonly pushes: number[][];
  /** Per file pushed: how many requests travel with it. */
  readonly counts: ReadonlyMap<number, number>;
  /** The makespan the routing balances to (seconds of the rates' unit, fluid model). */
  readonly fluidSeconds: number;
}

interface Groups {
  /** Per group (cache·clients + client): single-client cacheable files. */
  files: number[][];
  bytes: Float64Array;
  directFixed: Float64Array;
  inflowFixed: Float64Array;
  linkFixed: Float64Array;
}

/**
 * Plans routes, warm-up and push order.
 *
 * @example
 * ```ts
 * const plan = planRoutes({
 *   lists: [[1, 2, 3], [2, 3]], caches: 1, capacity: 4096, size: (f) => f * 1024,
 *   rates: { originClient: 1024, originCache: 2048, cacheClient: 3072 },
 * });
 * plan.routes[1]; // [[2, 0], [3, 0]]: shared files go through the cache
 * ```
 */
export function planRoutes(input: PlanInput): RoutePlan {
  const { lists, caches, capacity, size, rates } = input;
  const clients = lists.length;
  const requesters = new Map<number, number[]>();
  lists.forEach((list, c) => {
    for (const f of list) {
      const r = requesters.get(f);
      if (r) r.push(c);
      else requesters.set(f, [c]);
    }
  });
  const source = lists.map(() => new Map<number, Source>());
  const g: Groups = {
    files: Array.from({ length: caches * clients }, () => []),
    bytes: new Float64Array(caches * clients),
    directFixed: new Float64Array(clients),
    inflowFixed: new Float64Array(caches),
    linkFixed: new Float64Array(caches * clients),
  };
  for (const [f, who] of requesters) {
    const s = size(f);
    if (caches === 0 || s > capacity) {
      for (const c of who) {
        g.directFixed[c]! += s;
        source[c]!.set(f, ORIGIN_SOURCE);
      }
      continue;
    }
    const k = shardOf(f, caches);
    if (who.length > 1) {
      g.inflowFixed[k]! += s;
      for (const c of who) {
        g.linkFixed[k * clients + c]! += s;
        source[c]!.set(f, k);
      }
    } else {
      g.files[k * clients + who[0]!]!.push(f);
      g.bytes[k * clients + who[0]!]! += s;
    }
  }

  const { seconds, direct } = balance(g, caches, clients, capacity, rates);
  for (let k = 0; k < caches; k++) {
    for (let c = 0; c < clients; c++) {
      const files = g.files[k * clients + c]!.sort((a, b) => size(b) - size(a) || b - a);
      let left = direct[k * clients + c]!;
      for (const f of files) {
        const s = size(f);
        if (s <= left) {
          left -= s;
          source[c]!.set(f, ORIGIN_SOURCE);
        } else {
          source[c]!.set(f, k);
        }
      }
    }
  }

  const ascending = (a: number, b: number) => size(a) - size(b) || a - b;
  const counts = new Map<number, number>();
  const viaCache: number[][] = Array.from({ length: caches }, () => []);
  source.forEach((routes) => {
    for (const [f, s] of routes) {
      if (s === ORIGIN_SOURCE) continue;
      const n = counts.get(f) ?? 0;
      if (n === 0) viaCache[s]!.push(f);
      counts.set(f, n + 1);
    }
  });
  const warm: number[][] = [];
  const pushes: number[][] = [];
  for (const files of viaCache) {
    files.sort(ascending);
    let used = 0;
    let i = 0;
    while (i < files.length && used + size(files[i]!) <= capacity) used += size(files[i++]!);
    warm.push(files.slice(0, i));
    pushes.push(files.slice(i));
  }
  const routes = source.map((m) =>
    [...m.keys()].sort(ascending).map((f): [number, Source] => [f, m.get(f)!])
  );
  return { routes, warm, pushes, counts, fluidSeconds: seconds };
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
    for (let c = 0; c < clients; c++) lo = Math.max(lo, g.linkFixed[k * clients + c]! / rates.cacheClient);
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
      net.addEdge(2 + groups + clients + k, 1, rates.originCache * t + capacity - g.inflowFixed[k]!);
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
