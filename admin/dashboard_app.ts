/**
 * The live dashboard of `foresight run`: one page, its state as JSON, the
 * state pushed as server-sent events, and the charts as SVG files.
 *
 * @module
 */

import { Hono } from "hono";
import { DASHBOARD_HTML } from "./dashboard_page.ts";
import type { RunCharts } from "../report/run_charts.ts";
import type { TimelineSnapshot } from "../report/run_timeline.ts";
import { SseHub } from "./sse_hub.ts";

/** The scenario's lower bound as the page shows it. */
export interface DashboardBound {
  /** The bound, in simulated seconds. */
  seconds: number;
  /** False when a weaker closed form stands in for the exact bound. */
  exact: boolean;
  /** How it was found, in words: "exact fluid LP", or why it is not exact. */
  method: string;
  /** Makespan ÷ bound, once the run is over and complete; null until then or when meaningless. */
  ratio: number | null;
  /** The makespan (simulated seconds), with the ratio. */
  makespan?: number;
  /** What the page shows instead of a ratio, e.g. "not meaningful: the run was interrupted". */
  note?: string;
}

/**
 * What the page draws: the timeline's snapshot, the charts, and the lower
 * bound (null until it is known).
 */
export type DashboardState = TimelineSnapshot & {
  charts: RunCharts;
  bound?: DashboardBound | null;
};

/** A dashboard: its hono app, and the calls that push the state to open pages. */
export interface Dashboard {
  /** Serve it with `serve(dashboard.app.fetch, { port })`. */
  readonly app: Hono;
  /** Pushes the current state to every open page. */
  publish(): void;
  /** Pushes the final state, ends the event streams; pages keep what they show. */
  end(): void;
  /** Pages listening now. */
  readonly listeners: number;
}

/**
 * Builds the dashboard over a source of state.
 *
 * Routes: `GET /` the page; `GET /state` the state as JSON; `GET /events`
 * `state` events (and one `end` event when the run is over);
 * `GET /charts/links.svg`, `caches.svg`, `clients.svg`.
 *
 * @param state the current state (called on each publish and request)
 * @example
 * ```ts
 * const board = dashboard(() => ({ ...timeline.snapshot(), charts: runCharts(timeline) }));
 * const server = await serve(board.app.fetch, { port: 0 });
 * setInterval(() => board.publish(), 500);
 * ```
 */
export function dashboard(state: () => DashboardState): Dashboard {
  const hub = new SseHub();
  let ended = false;
  const app = new Hono();
  app.get("/", (c) => c.html(DASHBOARD_HTML));
  app.get("/state", (c) => c.json(state()));
  app.get(
    "/events",
    () => hub.response({ event: ended ? "end" : "state", data: JSON.stringify(state()) }),
  );
  app.get("/charts/:name", (c) => {
    const name = c.req.param("name").replace(/\.svg$/, "");
    if (name !== "links" && name !== "caches" && name !== "clients") {
      return c.json(
        { error: `Cannot draw chart "${name}": expected links, caches or clients` },
        404,
      );
    }
    return c.body(state().charts[name], 200, { "content-type": "image/svg+xml; charset=utf-8" });
  });
  app.notFound((c) => c.json({ error: `Cannot GET ${c.req.path}: no such page` }, 404));
  return {
    app,
    publish: () => {
      if (!ended && hub.size) hub.send("state", JSON.stringify(state()));
    },
    end: () => {
      if (ended) return;
      ended = true;
      hub.send("end", JSON.stringify(state()));
      hub.close();
    },
    get listeners() {
      return hub.size;
    },
  };
}
