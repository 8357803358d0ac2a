/**
 * A dense primal simplex for small linear programs of the form
 * maximise c·y subject to A·y ≤ b, y ≥ 0, with b ≥ 0 (so y = 0 is a feasible
 * start and one phase suffices). The entering column is the most negative
 * reduced cost (Dantzig) while the objective grows; after 50 pivots in a row
 * that leave it unchanged, Bland's rule (lowest index enters, lowest basic
 * index leaves on ties) takes over until it grows again. Bland's rule cannot
 * cycle and the objective never falls, so no basis repeats: it terminates.
 *
 * At the optimum the objective row holds, under each slack column, the
 * shadow price of that row: the optimal solution x of the dual program
 * (minimise b·x subject to Aᵀ·x ≥ c, x ≥ 0), which {@link maximize} returns
 * too. Every iterate is feasible, so the objective only grows towards the
 * optimum (for a lower bound built on the dual, any iterate is a valid bound).
 *
 * @module
 */

import { ForesightError } from "../errors.ts";

/** A constraint row: sparse coefficients (column, value) and its bound. */
export interface Row {
  readonly terms: readonly (readonly [number, number])[];
  readonly bound: number;
}

/** The optimum of {@link maximize}. */
export interface LpOptimum {
  /** The optimal objective value. */
  readonly value: number;
  /** An optimal y. */
  readonly y: Float64Array;
  /** An optimal solution of the dual (one entry per row). */
  readonly x: Float64Array;
  /** Pivots taken. */
  readonly pivots: number;
}

/**
 * Maximises `objective`·y subject to every row (Σ value·y[column] ≤ bound) and y ≥ 0.
 *
 * @param columns number of variables
 * @param rows the constraints (every bound ≥ 0)
 * @param objective one coefficient per variable
 * @param epsilon tolerance of the pivoting tests (inputs should be scaled near 1)
 * @throws {ForesightError} CONFIG when a bound is negative; INTERNAL when the program is unbounded
 * @example
 * ```ts
 * // max y0 + y1 with y0 + 2 y1 ≤ 4, 3 y0 + y1 ≤ 6 → 2.8 at (1.6, 1.2)
 * maximize(2, [{ terms: [[0, 1], [1, 2]], bound: 4 }, { terms: [[0, 3], [1, 1]], bound: 6 }], [1, 1]).value;
 * ```
 */
export function maximize(
  columns: number,
  rows: readonly Row[],
  objective: readonly number[],
  epsilon = 1e-11,
): LpOptimum {
  const m = rows.length;
  const width = columns + m + 1; // variables, slacks, right-hand side
  const rhs = width - 1;
  const t: Float64Array[] = rows.map((row, i) => {
    if (!(row.bound >= 0)) {
      throw new ForesightError(
        "CONFIG",
        `Cannot solve the program: row ${i} has bound ${row.bound} < 0`,
      );
    }
    const r = new Float64Array(width);
    for (const [j, v] of row.terms) r[j]! += v;
    r[columns + i] = 1;
    r[rhs] = row.bound;
    return r;
  });
  const z = new Float64Array(width);
  objective.forEach((c, j) => (z[j] = -c));
  const basis = Int32Array.from({ length: m }, (_, i) => columns + i);
  let pivots = 0;
  let bland = false;
  let stalled = 0;
  while (true) {
    let enter = -1;
    for (let j = 0, most = -epsilon; j < rhs; j++) {
      if (z[j]! < most) {
        enter = j;
        if (bland) break;
        most = z[j]!;
      }
    }
    if (enter < 0) break;
    let leave = -1;
    let best = Infinity;
    for (let i = 0; i < m; i++) {
      const a = t[i]![enter]!;
      if (a <= epsilon) continue;
      const ratio = t[i]![rhs]! / a;
      if (ratio < best - epsilon || (ratio <= best + epsilon && basis[i]! < basis[leave]!)) {
        best = ratio;
        leave = i;
      }
    }
    if (leave < 0) {
      throw new ForesightError("INTERNAL", "Cannot solve the program: it is unbounded");
    }
    const before = z[rhs]!;
    pivot(t, z, leave, enter);
    basis[leave] = enter;
    pivots++;
    // Dantzig's rule (steepest reduced cost) while the objective moves; after
    // a run of degenerate pivots, Bland's rule until it moves again.
    if (z[rhs]! > before + epsilon) {
      stalled = 0;
      bland = false;
    } else if (++stalled > 50) {
      bland = true;
    }
  }
  const y = new Float64Array(columns);
  for (let i = 0; i < m; i++) if (basis[i]! < columns) y[basis[i]!] = t[i]![rhs]!;
  const x = new Float64Array(m);
  for (let i = 0; i < m; i++) x[i] = Math.max(0, z[columns + i]!);
  return { value: z[rhs]!, y, x, pivots };
}

function pivot(t: Float64Array[], z: Float64Array, row: number, col: number): void {
  const p = t[row]!;
  const inv = 1 / p[col]!;
  const width = p.length;
  for (let j = 0; j < width; j++) p[j]! *= inv;
  p[col] = 1;
  const nonzero: number[] = [];
  for (let j = 0; j < width; j++) if (p[j] !== 0) nonzero.push(j);
  const eliminate = (r: Float64Array) => {
    const f = r[col]!;
    if (f === 0) return;
    for (const j of nonzero) r[j]! -= f * p[j]!;
    r[col] = 0;
  };
  for (const r of t) if (r !== p) eliminate(r);
  eliminate(z);
}
