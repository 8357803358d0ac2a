/**
 * A lower bound on the makespan of any policy in the simulator's model: the
 * fluid linear program.
 *
 * Every (client, file) request is served either directly (the client's
 * origin link) or through the file's shard cache; fractions are allowed. A
 * cache's inflow pays for a file once however many clients take it there;
 * each cache → client link pays per client; a file larger than the capacity
 * cannot pass through a cache (space is reserved in full). Before the start
 * each cache may hold up to its capacity for free (the warm-up). Minimise T
 * so that every link's bytes fit in T at its rate:
 *
 *   min T  s.t.  Σ_S Y[k,S] − C ≤ g·T                   (inflow of cache k)
 *                V[k,S,c] ≤ Y[k,S] ≤ W[k,S]              (cached, taken)
 *                Σ_S V[k,S,c] ≤ b·T                      (cache k → client c)
 *                D[c] − Σ_{k,S} V[k,S,c] ≤ a·T           (origin → client c)
 *   and, for the sequential bound (a client receives one file at a time),
 *                (D[c] − Σ V[·,c])/a + Σ V[·,c]/b ≤ T.
 *
 * Files are grouped into classes (k, S): the cacheable files of shard k that
 * exactly the clients S request, W[k,S] their bytes. Aggregating loses
 * nothing: a fractional solution per file gives one per class by summing, and
 * a class solution gives one per file by spreading Y and V evenly over the
 * class's bytes (every constraint is linear in the bytes).
 *
 * Validity: in any simulated run, let V[k,S,c] be the bytes of class (k,S)
 * that client c got from cache k and Y[k,S] the bytes of that class cache k
 * ever held. Each is at most its link's rate times the makespan; what cache
 * k held either came in over its inflow after the start or was warm (at most
 * C, since nothing is read before the start); a client's other bytes came
 * over its origin link; and a client receiving one file at a time spends
 * size/rate on each. So (makespan, Y, V) is feasible and T* ≤ makespan.
 *
 * Exactness: the program is solved through its dual (max Σ bᵢuᵢ s.t. Aᵀu ≤ e_T,
 * u ≥ 0, whose start u = 0 is feasible) by the simplex of sim/simplex.ts; by
 * strong duality the dual optimum equals T*, and weak duality makes every
 * dual-feasible u a valid bound even with rounding. The primal solution is
 * read from the final tableau; tests check it is feasible and costs T*.
 * Programs too large for the dense tableau get the weaker closed-form bound
 * of {@link simpleBound} instead (`exact: false`).
 *
 * @module
 */

import { kibSize, requestList, type Scenario, shardOf } from "../core/scenario.ts";
import { maximize, type Row } from "./simplex.ts";

/** The bounds of a scenario, in seconds. */
export interface LowerBound {
  /** Fluid bound: clients receive from all their sources at once. */
  seconds: number;
  /** Fluid bound when each client receives one file at a time. */
  sequentialSeconds: number;
  /** False when the program was too large and the simple bound stands in. */
  exact: boolean;
  /** Classes (cache, set of requesting clients) of the program. */
  classes: number;
}

/** What the bound reads (rates in bytes per second, sizes in bytes). */
export interface BoundInput {
  readonly lists: readonly (readonly number[])[];
  readonly caches: number;
  readonly capacity: number;
  size(file: number): number;
  readonly rateOriginClient: number;
  readonly rateOriginCache: number;
  readonly rateCacheClient: number;
}

/** Largest dense tableau (cells) solved exactly. */
export const MAX_TABLEAU_CELLS = 4_000_000;

interface Classes {
  /** Per class: its cache, clients and bytes. */
  list: { cache: number; clients: number[]; bytes: number }[];
  /** Per client: all its bytes. */
  demand: number[];
  /** Per client: bytes that cannot pass through a cache. */
  uncacheable: number[];
}

function classify(input: BoundInput): Classes {
  const { lists, caches, capacity, size } = input;
  const requesters = new Map<number, number[]>();
  lists.forEach((list, c) => {
    for (const f of list) {
      const r = requesters.get(f);
      if (r) r.push(c);
      else requesters.set(f, [c]);
    }
  });
  const demand = lists.map(() => 0);
  const uncacheable = lists.map(() => 0);
  const byKey = new Map<string, { cache: number; clients: number[]; bytes: number }>();
  for (const [f, who] of requesters) {
    const s = size(f);
    for (const c of who) demand[c]! += s;
    if (caches === 0 || s > capacity) {
      for (const c of who) uncacheable[c]! += s;
      continue;
    }
    const cache = shardOf(f, caches);
    const key = `${cache}:${who.join(",")}`;
    const cls = byKey.get(key);
    if (cls) cls.bytes += s;
    else byKey.set(key, { cache, clients: who, bytes: s });
  }
  return { list: [...byKey.values()], demand, uncacheable };
}

/**
 * The fluid lower bounds of a run with these lists and parameters.
 *
 * @example
 * ```ts
 * const b = lowerBound({ lists: [[1, 2]], caches: 1, capacity: 4096, size: (f) => f * 1024,
 *   rateOriginClient: 1024, rateOriginCache: 2048, rateCacheClient: 3072 });
 * b.seconds; // 0: both files fit the warm-up
 * ```
 */
export function lowerBound(input: BoundInput): LowerBound {
  const cls = classify(input);
  const parallel = solve(input, cls, false);
  const sequential = solve(input, cls, true);
  return {
    seconds: parallel ?? simpleBound(input, cls, false),
    sequentialSeconds: sequential ?? simpleBound(input, cls, true),
    exact: parallel !== null && sequential !== null,
    classes: cls.list.length,
  };
}

/**
 * The bounds of `scenario` (its own request lists unless `lists` is given;
 * file n is n KiB unless `size` says otherwise).
 *
 * @example
 * ```ts
 * scenarioBound(CANONICAL).seconds; // about 2180 for seed 1
 * ```
 */
export function scenarioBound(
  scenario: Scenario,
  lists?: readonly (readonly number[])[],
  size: (file: number) => number = kibSize,
): LowerBound {
  return lowerBound({
    lists: lists ??
      Array.from(
        { length: scenario.clients },
        (_, c) => requestList(scenario.seed, c, scenario.files, scenario.requests),
      ),
    caches: scenario.caches,
    capacity: scenario.capacityKiB * 1024,
    size,
    rateOriginClient: scenario.rateOriginClient * 1024,
    rateOriginCache: scenario.rateOriginCache * 1024,
    rateCacheClient: scenario.rateCacheClient * 1024,
  });
}

/**
 * How a bound was found, in words for a report: "exact fluid LP", or plainly
 * why it is not exact (the program was too large for the exact solver, so
 * the weaker closed form of {@link simpleBound} stands in).
 *
 * @param b the bound
 * @param clients the scenario's clients (the program grows with them)
 * @example
 * ```ts
 * boundMethod(scenarioBound(CANONICAL), CANONICAL.clients); // "exact fluid LP"
 * boundMethod({ exact: false, classes: 8130 }, 32);
 * // "not exact: closed form, as the exact LP for 32 clients (8130 classes) is too large to solve"
 * ```
 */
export function boundMethod(b: Pick<LowerBound, "exact" | "classes">, clients: number): string {
  return b.exact
    ? "exact fluid LP"
    : `not exact: closed form, as the exact LP for ${clients} clients (${b.classes} classes) ` +
      "is too large to solve";
}

/**
 * Builds the program (≥ form: A·x ≥ b, minimise T = x[0]) and solves its dual.
 * Returns null when it is too large. Units: bytes / B0 and seconds / T0 with
 * B0 the largest demand and T0 = B0 / rateOriginClient, so every number is
 * near 1.
 */
function solve(input: BoundInput, cls: Classes, sequential: boolean): number | null {
  const clients = input.lists.length;
  const b0 = Math.max(1, ...cls.demand);
  const t0 = b0 / input.rateOriginClient;
  const a = 1;
  const g = input.rateOriginCache / input.rateOriginClient;
  const b = input.rateCacheClient / input.rateOriginClient;
  // Primal variables: 0 = T, then Y per class, then V per (class, client).
  let takes = 0;
  for (const c of cls.list) takes += c.clients.length;
  const vars = 1 + cls.list.length + takes;
  const rowsAtMost = input.caches + cls.list.length + takes + input.caches * clients + 2 * clients;
  if (vars * (vars + rowsAtMost + 1) > MAX_TABLEAU_CELLS) return null;
  const yOf: number[] = [];
  const vOf: number[][] = [];
  /** Per (cache, client): the V variables of that link; per client: all its V. */
  const link: number[][] = Array.from({ length: input.caches * clients }, () => []);
  const taken: number[][] = Array.from({ length: clients }, () => []);
  let next = 1;
  for (const c of cls.list) {
    yOf.push(next++);
    vOf.push(c.clients.map((client) => {
      const v = next++;
      link[c.cache * clients + client]!.push(v);
      taken[client]!.push(v);
      return v;
    }));
  }
  // Primal constraints, as columns of the dual: each primal variable's terms.
  const cols: [number, number][][] = Array.from({ length: vars }, () => []);
  const rhs: number[] = [];
  const row = (value: number, terms: [number, number][]) => {
    const i = rhs.length;
    rhs.push(value);
    for (const [v, coef] of terms) cols[v]!.push([i, coef]);
  };
  for (let k = 0; k < input.caches; k++) {
    const terms: [number, number][] = [[0, g]];
    cls.list.forEach((c, j) => c.cache === k && terms.push([yOf[j]!, -1]));
    row(-input.capacity / b0, terms); // g·T − Σ Y ≥ −C
  }
  cls.list.forEach((c, j) => {
    row(-c.bytes / b0, [[yOf[j]!, -1]]); // −Y ≥ −W
    c.clients.forEach((_, i) => row(0, [[yOf[j]!, 1], [vOf[j]![i]!, -1]])); // Y − V ≥ 0
  });
  for (const vs of link) {
    if (vs.length > 0) row(0, [[0, b], ...vs.map((v): [number, number] => [v, -1])]); // b·T − Σ V ≥ 0
  }
  for (let client = 0; client < clients; client++) {
    const vs = taken[client]!;
    const d = cls.demand[client]! / b0;
    row(d, [[0, a], ...vs.map((v): [number, number] => [v, 1])]); // a·T + Σ V ≥ D
    if (sequential) {
      // (D − ΣV)/a + ΣV/b ≤ T  ⇔  T + (1/a − 1/b)·ΣV ≥ D/a
      row(d / a, [[0, 1], ...vs.map((v): [number, number] => [v, 1 / a - 1 / b])]);
    }
  }
  const m = rhs.length;
  // Dual: max rhs·u  s.t.  for each primal variable v: Σ coef·u ≤ cost(v) (1 for T, else 0).
  const dualRows: Row[] = cols.map((terms, v) => ({ terms, bound: v === 0 ? 1 : 0 }));
  const opt = maximize(m, dualRows, rhs);
  return Math.max(0, opt.value) * t0;
}

/**
 * A weaker bound in closed form, for programs too large to solve: each
 * client's uncacheable bytes over its origin link; each client's bytes over
 * all its links together (one at a time: each file at its fastest link);
 * and all bytes that must leave the origin (each cacheable file at least
 * once, less what the warm-ups hold) over all of the origin's links.
 */
function simpleBound(input: BoundInput, cls: Classes, sequential: boolean): number {
  const a = input.rateOriginClient;
  const b = input.rateCacheClient;
  const g = input.rateOriginCache;
  let t = 0;
  input.lists.forEach((_, c) => {
    const d = cls.demand[c]!;
    const u = cls.uncacheable[c]!;
    t = Math.max(t, u / a);
    t = Math.max(t, sequential ? u / a + (d - u) / Math.max(a, b) : d / (a + input.caches * b));
  });
  let leaving = -input.caches * input.capacity;
  for (const c of cls.list) leaving += c.bytes;
  for (const u of cls.uncacheable) leaving += u;
  return Math.max(t, leaving / (input.lists.length * a + input.caches * g));
}
