/**
 * The dashboard of `foresight run --dashboard`, served from the
 * orchestrator over the run's timeline.
 *
 * @module
 */

import { dashboard, type DashboardBound } from "../admin/dashboard_app.ts";
import { runCharts } from "../report/run_charts.ts";
import type { RunTimeline } from "../report/run_timeline.ts";
import { serve } from "../admin/serve.ts";
import type { LowerBound } from "../sim/lower_bound.ts";
import { boundText, type ReportBound } from "../report/report_bound.ts";

/** A served dashboard. */
export interface RunDashboard {
  /** Its address, e.g. `http://127.0.0.1:8080/`. */
  readonly url: string;
  /** Pushes the state to the open pages. */
  publish(): void;
  /** Pushes the final state, then stops serving. */
  close(): Promise<void>;
}

/**
 * Serves the dashboard of a run.
 *
 * @param timeline the run's events
 * @param at where to listen
 * @param bound the lower bound as far as it is known (read on each publish)
 * @throws {ForesightError} CONFIG when the port cannot be bound
 * @example
 * ```ts
 * const board = await startDashboard(timeline, { hostname: "127.0.0.1", port: 0 });
 * console.error(`dashboard at ${board.url}`);
 * ```
 */
export async function startDashboard(
  timeline: RunTimeline,
  at: { hostname: string; port: number },
  bound: () => DashboardBound | null = () => null,
): Promise<RunDashboard> {
  const board = dashboard(() => ({
    ...timeline.snapshot(),
    charts: runCharts(timeline),
    bound: bound(),
  }));
  const server = await serve(board.app.fetch, at);
  const host = at.hostname.includes(":") ? `[${at.hostname}]` : at.hostname;
  return {
    url: `http://${host}:${server.port}/`,
    publish: () => board.publish(),
    async close() {
      board.end();
      await server.close();
    },
  };
}

/**
 * The bound as the dashboard shows it: while the run goes on, the bound alone
 * (the ratio comes at the end); from the report, with the ratio and the
 * makespan, or why there is no ratio.
 *
 * @param b the bound, or the report's bound
 * @param clients the scenario's clients
 * @param makespan the report's makespan (simulated seconds), with a report's bound
 * @example
 * ```ts
 * dashboardBound(scenarioBound(s), s.clients); // { seconds: 2181.8, ratio: null, note: "when the run is over", … }
 * dashboardBound(report.lowerBound, s.clients, report.simSeconds); // { …, ratio: 1.011, makespan: 2205.8 }
 * ```
 */
export function dashboardBound(
  b: LowerBound | ReportBound,
  clients: number,
  makespan?: number,
): DashboardBound {
  const ratio = "ratio" in b ? b.ratio : null;
  const t = boundText({ ...b, ratio }, clients);
  const shown = { seconds: b.seconds, exact: b.exact, method: t.method, ratio };
  if (!("ratio" in b)) return { ...shown, note: "when the run is over" };
  if (ratio === null) return { ...shown, note: t.ratio };
  return makespan === undefined ? shown : { ...shown, makespan };
}
