/**
 * The linear programs of the lower bound, and the contract of a solver for
 * them: minimise x[0] subject to rows Σ coef·x ≥ rhs and x ≥ 0. Two solvers
 * meet it: {@link denseSolver} (the dense simplex of sim/simplex.ts, run on
 * the dual, for small programs) and the HiGHS solver of sim/highs_solver.ts
 * (sparse, for programs of any size the bound builds).
 *
 * @module
 */

import { maximize, type Row } from "./simplex.ts";

/** One row: Σ coef·x[column] ≥ rhs. */
export interface ProgramRow {
  readonly terms: readonly (readonly [number, number])[];
  readonly rhs: number;
}

/** Minimise x[0] subject to every row and x ≥ 0. */
export interface MinProgram {
  /** Number of variables (columns). */
  readonly vars: number;
  readonly rows: readonly ProgramRow[];
}

/** A solver of {@link MinProgram}s. */
export interface LpSolver {
  /** Its name, as a bound reports it ("simplex", "highs"). */
  readonly name: string;
  /** The most variables it takes, if it says (the bound then skips building larger programs). */
  readonly maxVars?: number;
  /**
   * The optimal x[0], or null when this solver does not take a program that
   * large.
   *
   * @throws {ForesightError} INTERNAL when the program has no optimum
   */
  minimize(program: MinProgram): number | null;
}

/**
 * Largest program (variables) given to a sparse solver (HiGHS): 16 caches ×
 * 64 clients × 200 requests has 15,668 and takes seconds; 16 × 256 × 1,000
 * has 84,604 and takes minutes, so it gets the closed form instead.
 */
export const MAX_SPARSE_VARS = 40_000;

/** Largest dense tableau (cells) {@link denseSolver} takes. */
export const MAX_TABLEAU_CELLS = 4_000_000;

/**
 * The cells of the dense tableau {@link denseSolver} would build for
 * `program` (its dual: one row per variable, one column per row plus slacks).
 *
 * @example
 * ```ts
 * tableauCells({ vars: 2, rows: [{ terms: [[0, 1]], rhs: 1 }] }); // 2 × (2 + 1 + 1) = 8
 * ```
 */
export function tableauCells(program: MinProgram): number {
  return program.vars * (program.vars + program.rows.length + 1);
}

/**
 * The dense simplex of sim/simplex.ts on the program's dual (max rhs·u
 * s.t. Aᵀu ≤ e₀, u ≥ 0, whose start u = 0 is feasible); by strong duality
 * its optimum is the program's. Declines programs over
 * {@link MAX_TABLEAU_CELLS} cells.
 *
 * @example
 * ```ts
 * // min x0 s.t. x0 + x1 ≥ 2, x0 − x1 ≥ 0 → 1
 * denseSolver.minimize({ vars: 2, rows: [{ terms: [[0, 1], [1, 1]], rhs: 2 },
 *   { terms: [[0, 1], [1, -1]], rhs: 0 }] }); // 1
 * ```
 */
export const denseSolver: LpSolver = {
  name: "simplex",
  minimize(program: MinProgram): number | null {
    if (tableauCells(program) > MAX_TABLEAU_CELLS) return null;
    const cols: [number, number][][] = Array.from({ length: program.vars }, () => []);
    program.rows.forEach((row, i) => {
      for (const [v, coef] of row.terms) cols[v]!.push([i, coef]);
    });
    const dualRows: Row[] = cols.map((terms, v) => ({ terms, bound: v === 0 ? 1 : 0 }));
    return maximize(program.rows.length, dualRows, program.rows.map((r) => r.rhs)).value;
  },
};
