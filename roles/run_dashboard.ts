/**
 * The dashboard of `foresight run --dashboard`, served from the
 * orchestrator over the run's timeline.
 *
 * @module
 */

import { dashboard } from "../admin/dashboard_app.ts";
import { runCharts } from "../admin/run_charts.ts";
import type { RunTimeline } from "../admin/run_timeline.ts";
import { serve } from "../admin/serve.ts";

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
): Promise<RunDashboard> {
  const board = dashboard(() => ({ ...timeline.snapshot(), charts: runCharts(timeline) }));
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
