/**
 * The foresight planner: from every client's request list, decide for each
 * request whether it travels directly (origin → client) or through its
 * shard's cache, which files each cache is warmed with, and the order of
 * everything, so that every link the origin feeds finishes at about the same
 * moment.
 *
 * Routing. Three candidates: the balanced routing of {@link flowRouting}
 * (optimal in the fluid model whenever sending shared files through the
 * caches is, as in the canonical scenario), the greedy one of
 * {@link greedyRouting} (robust to lopsided rates) and the tiered one of
 * {@link tieredRouting} (for scarce cache inflow: many clients per cache,
 * where the inflow is worth most on the files the most clients want), each
 * then improved by a local search ({@link improve}). The plan takes the one
 * whose busiest link would finish first, counting each link's bytes at its rate and a cache's
 * warm-up bytes as free.
 *
 * Order. Each cache's warm-up takes its smallest files up to capacity (see
 * {@link warmSet}); the rest are pushed after the start in ascending size, one
 * after another. Each client fetches from each cache in that cache's order
 * (warm files, then pushes), from the origin in ascending size, one
 * outstanding per source, so every link runs at once, a cache forwards each
 * file while it still arrives, and a client never waits on a file behind one
 * it has not asked for (which rules out deadlock: the file a client waits for
 * at a cache is always the next one that cache gets).
 *
 * @module
 */

import { flowRouting, type PlanRates, type Routing, type RoutingInput } from "./flow_routing.ts";
import { greedyRouting } from "./greedy_routing.ts";
import { tieredRouting } from "./tiered_routing.ts";
import { ORIGIN_SOURCE, shardOf, type Source } from "../run/scenario.ts";
import { sortBySize } from "../collections/size_order.ts";

export type { PlanRates } from "./flow_routing.ts";

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
  /** Which routing won. */
  readonly routing: "balanced" | "greedy" | "tiered";
  /** The busiest link's load in seconds of the rates' unit (the fluid makespan of the plan). */
  readonly fluidSeconds: number;
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
  const requesters = new Map<number, number[]>();
  input.lists.forEach((list, c) => {
    for (const f of list) {
      const r = requesters.get(f);
      if (r) r.push(c);
      else requesters.set(f, [c]);
    }
  });
  const routing: RoutingInput = {
    ...input,
    requesters,
    clients: input.lists.length,
    size: input.size,
  };
  const candidates: [RoutePlan["routing"], Routing][] = [
    ["balanced", flowRouting(routing).routing],
    ["greedy", greedyRouting(routing)],
    ["tiered", tieredRouting(routing).routing],
  ];
  // Each candidate is assessed; only the one that finishes first is laid out
  // (ordering every client's routes is the costly part).
  let best: { name: RoutePlan["routing"]; routing: Routing; a: Assessment } | undefined;
  for (const [name, r] of candidates) {
    const routing = improve(r, input, requesters);
    const a = assess(routing, input);
    if (!best || a.seconds < best.a.seconds) best = { name, routing, a };
  }
  return layout(best!.routing, best!.a, input, best!.name);
}

/** A change of route: [client, file, new source]. */
type Move = [number, number, Source];

/** Largest number of requests for which {@link improve} searches. */
const SEARCH_REQUESTS = 50_000;

/**
 * Local search on a routing: while the busiest link can be relieved by
 * moving one of its files (a direct file into its cache; a pushed file, or
 * one client's file, off a cache onto direct links) so that the busiest link
 * of the whole plan finishes sooner, move it. Tries each link's 8 largest
 * files; at most 400 tries; skipped above {@link SEARCH_REQUESTS} requests.
 */
function improve(
  routing: Routing,
  input: PlanInput,
  requesters: ReadonlyMap<number, readonly number[]>,
): Routing {
  let requests = 0;
  for (const list of input.lists) requests += list.length;
  if (requests > SEARCH_REQUESTS || input.caches === 0) return routing;
  const { size, capacity, caches } = input;
  let now = assess(routing, input);
  const tryMove = (moves: Move[]): boolean => {
    const undo = moves.map(([c, f]): Move => [c, f, routing[c]!.get(f)!]);
    for (const [c, f, s] of moves) routing[c]!.set(f, s);
    const next = assess(routing, input);
    if (next.seconds < now.seconds * (1 - 1e-12)) {
      now = next;
      return true;
    }
    for (const [c, f, s] of undo) routing[c]!.set(f, s);
    return false;
  };
  const bySize = (a: number, b: number) => size(b) - size(a) || b - a;
  const filesOf = (client: number, on: (file: number, source: Source) => boolean) =>
    [...routing[client]!].filter(([f, s]) => on(f, s)).map(([f]) => f).sort(bySize);
  for (let tries = 0; tries < 400;) {
    const link = now.busiest;
    let candidates: Move[][];
    if (link.kind === "direct") {
      // A direct file of the busiest client into its cache.
      candidates = filesOf(link.client, (f, s) => s === ORIGIN_SOURCE && size(f) <= capacity)
        .map((f) => [[link.client, f, shardOf(f, caches)]]);
    } else if (link.kind === "inflow" || link.kind === "space") {
      // A pushed file off the busiest cache: every client that took it there goes direct.
      candidates = now.pushes[link.cache]!.slice().sort(bySize).map((f) =>
        requesters.get(f)!.filter((c) => routing[c]!.get(f) === link.cache)
          .map((c): Move => [c, f, ORIGIN_SOURCE])
      );
    } else {
      // One of the client's files off the busiest cache → client link.
      candidates = filesOf(link.client, (_, s) => s === link.cache)
        .map((f) => [[link.client, f, ORIGIN_SOURCE]]);
    }
    let moved = false;
    for (const moves of candidates.slice(0, 8)) {
      tries++;
      if (tryMove(moves)) {
        moved = true;
        break;
      }
    }
    if (!moved) break;
  }
  return routing;
}

/**
 * The files a cache is warmed with, from its files in ascending size: the
 * longest ascending prefix that fits, topped up largest first (small warm
 * files drain fast after the start, making room for the first pushes),
 * unless filling largest first from the start warms over a tenth of the
 * capacity more (few, large files: the bytes matter more than the drain).
 */
function warmSet(
  files: readonly number[],
  capacity: number,
  size: (f: number) => number,
): Set<number> {
  const fill = (order: readonly number[], into: Set<number>, used: number) => {
    for (const f of order) {
      if (into.has(f) || used + size(f) > capacity) continue;
      into.add(f);
      used += size(f);
    }
    return used;
  };
  const prefix = new Set<number>();
  let used = 0;
  for (const f of files) {
    if (used + size(f) > capacity) break;
    prefix.add(f);
    used += size(f);
  }
  const descending = [...files].reverse();
  const a = fill(descending, prefix, used);
  const largest = new Set<number>();
  const b = fill(descending, largest, 0);
  return b > a + capacity / 10 ? largest : prefix;
}

/** A link of the plan. */
type LinkId =
  | { kind: "direct"; client: number }
  | { kind: "inflow"; cache: number }
  | { kind: "space"; cache: number }
  | { kind: "link"; cache: number; client: number };

/**
 * A routing's warm-up, pushes and fluid makespan: its busiest link's load in
 * seconds, or a cache's space-time if longer (a pushed file holds its whole
 * size from the push's start until its last reader is done, at least
 * size / min(inflow rate, cache → client rate); a warm file at least
 * size / cache → client rate; all of it within capacity × makespan).
 */
/** What {@link assess} finds of a routing. */
type Assessment = ReturnType<typeof assess>;

function assess(source: Routing, input: PlanInput) {
  const { caches, capacity, size, rates } = input;
  const counts = new Map<number, number>();
  const viaCache: number[][] = Array.from({ length: caches }, () => []);
  let seconds = 0;
  let busiest: LinkId = { kind: "direct", client: 0 };
  const load = (t: number, id: LinkId) => {
    if (t > seconds) {
      seconds = t;
      busiest = id;
    }
  };
  const link = new Float64Array(caches);
  source.forEach((routes, client) => {
    let direct = 0;
    link.fill(0);
    // forEach, not for-of: a Map's for-of makes an entry array per file.
    routes.forEach((s, f) => {
      if (s === ORIGIN_SOURCE) {
        direct += size(f);
        return;
      }
      link[s]! += size(f);
      const n = counts.get(f);
      if (n === undefined) {
        viaCache[s]!.push(f);
        counts.set(f, 1);
      } else counts.set(f, n + 1);
    });
    load(direct / rates.originClient, { kind: "direct", client });
    for (let cache = 0; cache < caches; cache++) {
      const t = link[cache]! / rates.cacheClient;
      // (A link id is made only for a new busiest link.)
      if (t > seconds) load(t, { kind: "link", cache, client });
    }
  });
  const warm: number[][] = [];
  const pushes: number[][] = [];
  viaCache.forEach((files, cache) => {
    const chosen = warmSet(sortBySize(files, size, "ascending", "ascending"), capacity, size);
    const rest = files.filter((f) => !chosen.has(f));
    let inflow = 0;
    let space = 0;
    for (const f of rest) {
      inflow += size(f);
      space += size(f) * size(f) / Math.min(rates.originCache, rates.cacheClient);
    }
    for (const f of chosen) space += size(f) * size(f) / rates.cacheClient;
    load(inflow / rates.originCache, { kind: "inflow", cache });
    if (capacity > 0) load(space / capacity, { kind: "space", cache });
    warm.push(files.filter((f) => chosen.has(f)));
    pushes.push(rest);
  });
  return { counts, warm, pushes, seconds, busiest: busiest as LinkId };
}

/** The plan of a routing: warm-up, pushes, and each client's routes in each source's order. */
function layout(
  source: Routing,
  assessed: Assessment,
  input: PlanInput,
  routing: RoutePlan["routing"],
): RoutePlan {
  const { size } = input;
  const { counts, warm, pushes, seconds } = assessed;
  // Per source, in the order the source gets them: warm files, then pushes (both ascending).
  const rank = new Map<number, number>();
  warm.forEach((w, k) => [...w, ...pushes[k]!].forEach((f, i) => rank.set(f, i)));
  // Sorted by keys looked up once per file, not per comparison: by source,
  // then direct files by size and id, cached files by their rank there.
  type Keyed = { route: [number, Source]; key: number };
  const routes = source.map((m) => {
    const keyed: Keyed[] = [];
    m.forEach((s, f) => {
      keyed.push({ route: [f, s], key: s === ORIGIN_SOURCE ? size(f) : rank.get(f)! });
    });
    keyed.sort((a, b) => {
      const sa = a.route[1];
      const sb = b.route[1];
      if (sa !== sb) return sa - sb;
      return a.key - b.key || (sa === ORIGIN_SOURCE ? a.route[0] - b.route[0] : 0);
    });
    return keyed.map((k) => k.route);
  });
  return { routes, warm, pushes, counts, routing, fluidSeconds: seconds };
}
