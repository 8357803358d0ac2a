/**
 * The exact solver for large bound programs: HiGHS (the `highs` package,
 * compiled to WebAssembly; the same on Node, Deno and Bun). Its loader is
 * asynchronous — it compiles a 3.5 MB module, 0.1–0.2 s — so it is loaded
 * once, on demand, and the bound itself stays synchronous: pass the loaded
 * solver to `lowerBound` / `scenarioBound`.
 *
 * @module
 */

import type { Highs } from "highs";
import { ForesightError } from "../errors.ts";
import { type LpSolver, MAX_SPARSE_VARS, type MinProgram } from "./lp_program.ts";

export { MAX_SPARSE_VARS } from "./lp_program.ts";
import type { Scenario } from "../core/run/scenario.ts";
import { boundInput, type LowerBound, lowerBound, wantsSparseSolver } from "./lower_bound.ts";

type Load = typeof import("highs").default;

let loading: Promise<LpSolver> | undefined;

/**
 * Loads HiGHS (once per thread; later calls share the first load).
 *
 * @throws {ForesightError} INTERNAL when the module cannot be loaded
 * @example
 * ```ts
 * const solver = await loadHighsSolver();
 * scenarioBound(scenario, undefined, undefined, solver).exact; // true
 * ```
 */
export function loadHighsSolver(): Promise<LpSolver> {
  loading ??= (async () => {
    try {
      // A CommonJS package: its default export is the loader, which Deno's
      // types see one level down (the module object's `default`).
      const mod: { default: unknown } = await import("highs");
      const d = mod.default as Load | { default: Load };
      const highs = await (typeof d === "function" ? d : d.default)();
      return {
        name: "highs",
        maxVars: MAX_SPARSE_VARS,
        minimize: (p: MinProgram) => minimizeWith(highs, p),
      };
    } catch (e) {
      loading = undefined;
      throw new ForesightError(
        "INTERNAL",
        `Cannot load the HiGHS solver: ${(e as Error).message}`,
        {
          cause: e,
        },
      );
    }
  })();
  return loading;
}

/**
 * The exact bound of `scenario` (its own request lists unless `lists` is
 * given; file n is n KiB unless `size` says otherwise): the dense simplex for small programs, HiGHS (loaded on first use)
 * for large ones.
 *
 * @throws {ForesightError} INTERNAL when HiGHS cannot be loaded or finds no optimum
 * @example
 * ```ts
 * (await exactScenarioBound({ ...CANONICAL, caches: 8, clients: 32, files: 4000, requests: 200 }))
 *   .exact; // true
 * ```
 */
export async function exactScenarioBound(
  scenario: Scenario,
  lists?: readonly (readonly number[])[],
  size?: (file: number) => number,
): Promise<LowerBound> {
  const input = boundInput(scenario, lists, size);
  return lowerBound(input, wantsSparseSolver(input) ? await loadHighsSolver() : undefined);
}

function minimizeWith(highs: Highs, program: MinProgram): number | null {
  const { vars, rows } = program;
  if (vars > MAX_SPARSE_VARS) return null;
  let nonzeros = 0;
  for (const r of rows) nonzeros += r.terms.length;
  const starts = new Int32Array(rows.length + 1);
  const indices = new Int32Array(nonzeros);
  const values = new Float64Array(nonzeros);
  let at = 0;
  rows.forEach((r, i) => {
    for (const [v, coef] of r.terms) {
      indices[at] = v;
      values[at++] = coef;
    }
    starts[i + 1] = at;
  });
  const colCost = new Float64Array(vars);
  colCost[0] = 1;
  const [status, value] = highs.withModel({
    numCols: vars,
    numRows: rows.length,
    colCost,
    colLower: new Float64Array(vars),
    colUpper: new Float64Array(vars).fill(highs.infinity),
    rowLower: Float64Array.from(rows, (r) => r.rhs),
    rowUpper: new Float64Array(rows.length).fill(highs.infinity),
    matrix: { format: "csr", numRows: rows.length, numCols: vars, starts, indices, values },
  }, (model) => {
    // The interior-point method, then crossover to a vertex: 2–5× faster than
    // the simplex on the 16 × 64 programs, as fast on smaller ones.
    model.options.set({ output_flag: false, solver: "ipm" });
    model.run();
    return [model.getModelStatus(), model.getObjectiveValue()] as const;
  });
  if (status !== highs.constants.modelStatus.optimal) {
    throw new ForesightError(
      "INTERNAL",
      `Cannot solve the bound's program (${vars} variables, ${rows.length} rows): HiGHS ended with status ${status}`,
    );
  }
  return value;
}
