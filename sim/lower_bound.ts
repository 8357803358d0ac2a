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
 * Exactness: small programs are solved through their dual (max Σ bᵢuᵢ s.t.
 * Aᵀu ≤ e_T, u ≥ 0, whose start u = 0 is feasible) by the dense simplex of
 * sim/simplex.ts ({@link denseSolver}); by strong duality the dual optimum
 * equals T*. Larger ones go to the sparse solver the caller passes — HiGHS,
 * loaded by `loadHighsSolver()` of sim/highs_solver.ts — which solves the
 * programs of 16 caches × 64 clients in seconds. Without one, a program too
 * large for the dense tableau gets the weaker closed-form bound of
 * {@link simpleBound} instead (`exact: false`).
 *
 * @module
 */

import { kibSize, requestList, type Scenario } from "../core/run/scenario.ts";
import { type BoundInput, boundProgram, type Classes, classify } from "./bound_program.ts";
import {
  denseSolver,
  type LpSolver,
  MAX_SPARSE_VARS,
  MAX_TABLEAU_CELLS,
  tableauCells,
} from "./lp_program.ts";

export type { BoundInput } from "./bound_program.ts";
export { MAX_SPARSE_VARS, MAX_TABLEAU_CELLS } from "./lp_program.ts";

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
  /** The solver that found the exact bound: "simplex" or "highs" (absent when not exact). */
  solver?: string;
}

/** Largest dense tableau (cells) solved by the dense simplex when a sparse solver is given. */
export const DENSE_FIRST_CELLS = 200_000;

/**
 * The fluid lower bounds of a run with these lists and parameters.
 *
 * @param input the lists and parameters
 * @param solver a sparse LP solver (`await loadHighsSolver()`) for programs
 *   past {@link DENSE_FIRST_CELLS}; without one, programs past
 *   {@link MAX_TABLEAU_CELLS} get the closed form (`exact: false`)
 * @throws {ForesightError} INTERNAL when a solver finds no optimum
 * @example
 * ```ts
 * const b = lowerBound({ lists: [[1, 2]], caches: 1, capacity: 4096, size: (f) => f * 1024,
 *   rateOriginClient: 1024, rateOriginCache: 2048, rateCacheClient: 3072 });
 * b.seconds; // 0: both files fit the warm-up
 * ```
 */
export function lowerBound(input: BoundInput, solver?: LpSolver): LowerBound {
  const cls = classify(input);
  const parallel = solve(input, cls, false, solver);
  const sequential = solve(input, cls, true, solver);
  const exact = parallel !== null && sequential !== null;
  return {
    seconds: parallel?.seconds ?? simpleBound(input, cls, false),
    sequentialSeconds: sequential?.seconds ?? simpleBound(input, cls, true),
    exact,
    classes: cls.list.length,
    ...(exact
      ? {
        solver: parallel.solver === sequential.solver
          ? parallel.solver
          : `${parallel.solver}, ${sequential.solver}`,
      }
      : {}),
  };
}

/** Solves one of the two programs: densely when small, else with `solver`; null when neither takes it. */
function solve(
  input: BoundInput,
  cls: Classes,
  sequential: boolean,
  solver: LpSolver | undefined,
): { seconds: number; solver: string } | null {
  // Its variables (T, a Y per class, a V per class and client), known before it is built:
  // the dense tableau has at least vars² cells.
  let vars = 1 + cls.list.length;
  for (const c of cls.list) vars += c.clients.length;
  if (vars * vars > MAX_TABLEAU_CELLS && !(vars <= (solver?.maxVars ?? 0))) return null;
  const { program, t0 } = boundProgram(input, cls, sequential);
  const order = solver && tableauCells(program) > DENSE_FIRST_CELLS
    ? [solver, denseSolver]
    : [denseSolver, ...(solver ? [solver] : [])];
  for (const s of order) {
    const value = s.minimize(program);
    if (value !== null) return { seconds: Math.max(0, value) * t0, solver: s.name };
  }
  return null;
}

/**
 * The bounds of `scenario` (its own request lists unless `lists` is given;
 * file n is n KiB unless `size` says otherwise).
 *
 * @param scenario the scenario
 * @param lists its request lists, if not its own
 * @param size bytes of each file (default: file n is n KiB)
 * @param solver a sparse LP solver for large programs (see {@link lowerBound})
 * @example
 * ```ts
 * scenarioBound(CANONICAL).seconds; // about 2180 for seed 1
 * ```
 */
export function scenarioBound(
  scenario: Scenario,
  lists?: readonly (readonly number[])[],
  size: (file: number) => number = kibSize,
  solver?: LpSolver,
): LowerBound {
  return lowerBound(boundInput(scenario, lists, size), solver);
}

/**
 * What the bound of `scenario` reads (its own request lists unless `lists` is given).
 *
 * @example
 * ```ts
 * boundInput(CANONICAL).rateOriginClient; // 1024000 bytes per second
 * ```
 */
export function boundInput(
  scenario: Scenario,
  lists?: readonly (readonly number[])[],
  size: (file: number) => number = kibSize,
): BoundInput {
  return {
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
  };
}

/**
 * Whether the bound of `input` is a program past {@link DENSE_FIRST_CELLS},
 * which a sparse solver (HiGHS) solves faster than the dense simplex, or
 * at all, and within {@link MAX_SPARSE_VARS} variables, which it still
 * takes.
 *
 * @example
 * ```ts
 * wantsSparseSolver(boundInput(CANONICAL)); // false: the dense simplex takes milliseconds
 * ```
 */
export function wantsSparseSolver(input: BoundInput): boolean {
  const cls = classify(input);
  let vars = 1 + cls.list.length;
  for (const c of cls.list) vars += c.clients.length;
  if (vars > MAX_SPARSE_VARS) return false; // no solver takes it: the closed form stands in
  const { program } = boundProgram(input, cls, true);
  return tableauCells(program) > DENSE_FIRST_CELLS;
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
