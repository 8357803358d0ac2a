/**
 * Every policy on the same scenarios: the `foresight sim --compare` table.
 *
 * @module
 */

import { POLICIES, type PolicyName, type Scenario } from "../core/run/scenario.ts";
import type { LpSolver } from "./lp_program.ts";
import { scenarioBound } from "./lower_bound.ts";
import { simulate } from "./simulator.ts";

/** One policy on one seed. */
export interface CompareRow {
  policy: PolicyName;
  seed: number;
  /** Simulated seconds until the last client is done. */
  makespan: number;
  /** The fluid lower bound, seconds. */
  bound: number;
  /** makespan / bound. */
  ratio: number;
  /** Requests the caches counted as hits, over all requests. */
  hitRatio: number;
  /** Bytes the origin sent (to caches, warm-up included, and to clients). */
  originBytes: number;
  /** Wall milliseconds the simulation took. */
  wallMs: number;
}

/** Options of {@link compare}. */
export interface CompareOptions {
  /** Seeds to run (default 1..5; with `lists` given, only `base.seed` by default). */
  readonly seeds?: readonly number[];
  /** Policies to run (default all). */
  readonly policies?: readonly PolicyName[];
  /** Request lists, one per client (default: each seed's own, from `requestList`). */
  readonly lists?: readonly (readonly number[])[];
  /** A file's bytes (default: file n is n KiB). */
  readonly size?: (file: number) => number;
  /** A sparse LP solver for bounds too large for the dense simplex (see `scenarioBound`). */
  readonly solver?: LpSolver;
}

/**
 * Simulates every policy on `base` with each seed. Given lists (a demand
 * file), the seed changes nothing the simulator reads, so one seed is run.
 *
 * @example
 * ```ts
 * const rows = compare(CANONICAL); // 5 policies × seeds 1..5
 * ```
 */
export function compare(
  base: Scenario,
  options: CompareOptions = {},
): CompareRow[] {
  const { lists, size } = options;
  const seeds = options.seeds ?? (lists ? [base.seed] : [1, 2, 3, 4, 5]);
  const policies = options.policies ?? POLICIES;
  const rows: CompareRow[] = [];
  for (const seed of seeds) {
    const bound = scenarioBound({ ...base, seed }, lists, size, options.solver).seconds;
    for (const policy of policies) {
      const t0 = performance.now();
      const r = simulate({ ...base, seed, policy }, { lists, size });
      const wallMs = performance.now() - t0;
      const files = r.clients.reduce((a, c) => a + c.files, 0);
      const hits = r.caches.reduce((a, c) => a + c.hits, 0);
      rows.push({
        policy,
        seed,
        makespan: r.makespan,
        bound,
        ratio: bound > 0 ? r.makespan / bound : 1,
        hitRatio: files ? hits / files : 0,
        originBytes: r.links.originToCache + r.links.originToClient,
        wallMs,
      });
    }
  }
  return rows.sort((a, b) =>
    POLICIES.indexOf(a.policy) - POLICIES.indexOf(b.policy) || a.seed - b.seed
  );
}

/**
 * The rows as an aligned text table, with each policy's mean and worst ratio.
 *
 * @example
 * ```ts
 * console.log(renderCompare(compare(CANONICAL)));
 * ```
 */
export function renderCompare(rows: readonly CompareRow[]): string {
  const head = ["policy", "seed", "makespan s", "bound s", "× bound", "hit ratio", "origin MiB"];
  const body = rows.map((r) => [
    r.policy,
    String(r.seed),
    r.makespan.toFixed(1),
    r.bound.toFixed(1),
    r.ratio.toFixed(4),
    `${(r.hitRatio * 100).toFixed(1)} %`,
    (r.originBytes / 1_048_576).toFixed(0),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  const summary: string[] = [];
  for (const policy of [...new Set(rows.map((r) => r.policy))]) {
    const mine = rows.filter((r) => r.policy === policy);
    const mean = mine.reduce((a, r) => a + r.ratio, 0) / mine.length;
    const worst = Math.max(...mine.map((r) => r.ratio));
    summary.push(
      `${policy.padEnd(widths[0]!)}  mean × bound ${mean.toFixed(4)}, worst ${worst.toFixed(4)}`,
    );
  }
  return [line(head), ...body.map(line), "", ...summary].join("\n");
}
