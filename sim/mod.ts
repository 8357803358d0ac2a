/**
 * The simulator: the same policy objects as the live roles, driven in
 * virtual time over the network model of sim/README.md, with a fluid lower
 * bound on the makespan and a comparison of every policy.
 *
 * @example
 * ```ts
 * import { scenarioBound, simulate } from "./sim/mod.ts";
 * const r = simulate({ ...CANONICAL, policy: "foresight" });
 * r.makespan / scenarioBound(CANONICAL).seconds; // ≈ 1.0001
 * ```
 *
 * @module
 */

export { compare, type CompareRow, renderCompare } from "./compare.ts";
export { EventQueue } from "./event_queue.ts";
export { exactScenarioBound, loadHighsSolver } from "./highs_solver.ts";
export { Link, type Transfer } from "./link.ts";
export { denseSolver, type LpSolver, type MinProgram, type ProgramRow } from "./lp_program.ts";
export {
  type BoundInput,
  boundInput,
  DENSE_FIRST_CELLS,
  type LowerBound,
  lowerBound,
  MAX_TABLEAU_CELLS,
  scenarioBound,
} from "./lower_bound.ts";
export { type LpOptimum, maximize, type Row } from "./simplex.ts";
export { renderSimReport, type SimReport, simReport } from "./sim_report.ts";
export {
  type SimCache,
  type SimClient,
  type SimOptions,
  type SimResult,
  simulate,
} from "./simulator.ts";
export { replayTrace, type TraceResult } from "./trace.ts";
