/**
 * What a role process adds around its role: the admin API on
 * `--admin-port`, and a `stats` event on stdout every `--stats-ms` (the
 * orchestrator builds its time series from them). Both read the role's
 * {@link RoleView}, which the role hands out through its `onView` option.
 *
 * @module
 */

import process from "node:process";
import type { RoleView } from "../core/run/role_view.ts";
import type { Logger } from "../core/run/log.ts";
import { adminApp } from "../admin/admin_app.ts";
import { serve, type Served } from "../admin/serve.ts";
import { emitEvent, wholeFrom } from "./common.ts";
import type { Flags } from "./flags.ts";

/** The admin side of one role process. */
export interface RoleAdmin {
  /** Give this as the role's `onView`. */
  readonly attach: (view: RoleView) => void;
  /** The admin API's port, when serving. */
  readonly port: number | undefined;
  /** Prints a last stats event, stops the ticker and the admin server. */
  stop(): Promise<void>;
}

/**
 * A view that answers before the role hands out its own (as "registering")
 * and forwards to it after: the admin server can bind, and fail, before the
 * role starts.
 */
function lateView(role: RoleView["role"]): { view: RoleView; set(v: RoleView): void } {
  let real: RoleView | undefined;
  const view: RoleView = {
    role,
    phase: () => real?.phase() ?? "registering",
    stats: () => real?.stats() ?? { phase: "registering" },
  };
  if (role !== "client") view.file = (id) => real?.file?.(id);
  return { view, set: (v) => (real = v) };
}

/**
 * Starts the admin API (when `--admin-port` is given) and prints its
 * `{"event":"admin",...}` line; the stats ticker starts once the role
 * attaches its view.
 *
 * @param role which role
 * @param flags the role's resolved flags (`admin-port`, `admin-host`, `stats-ms`)
 * @param log where the admin server's address is logged
 * @param options the file count for `/files/:id` ids, when known; the role's index, when known
 * @throws {ForesightError} CONFIG for a bad flag or a port that cannot be bound
 * @example
 * ```ts
 * const admin = await startRoleAdmin("origin", flags, log, { files: () => scenario.files });
 * try {
 *   await runOrigin({ ...options, onView: admin.attach });
 * } finally {
 *   await admin.stop();
 * }
 * ```
 */
export async function startRoleAdmin(
  role: RoleView["role"],
  flags: Flags,
  log: Logger,
  options: { files?: () => number | undefined; index?: number } = {},
): Promise<RoleAdmin> {
  const { values, from } = flags;
  const statsMs = wholeFrom(values["stats-ms"] ?? "0", from("stats-ms"), 0, 3_600_000);
  const late = lateView(role);
  const t0 = performance.now();
  let server: Served | undefined;
  if (values["admin-port"] !== undefined) {
    const port = wholeFrom(values["admin-port"], from("admin-port"), 0, 65535);
    const hostname = String(values["admin-host"] ?? "127.0.0.1");
    const app = adminApp(late.view, {
      files: options.files,
      token: values.secret === undefined ? undefined : String(values.secret),
      extraStats: () => ({
        process: {
          rssBytes: process.memoryUsage.rss(),
          uptimeSeconds: (performance.now() - t0) / 1000,
        },
      }),
    });
    server = await serve(app.fetch, { hostname, port });
    emitEvent({ event: "admin", role, index: options.index, host: hostname, port: server.port });
    log.log("info", "admin API listening", { url: `http://${hostname}:${server.port}/` });
  }
  let ticker: ReturnType<typeof setInterval> | undefined;
  let attached: RoleView | undefined;
  const tick = () => {
    if (attached) emitEvent({ ...attached.stats(), event: "stats", role, phase: attached.phase() });
  };
  return {
    port: server?.port,
    attach: (view) => {
      attached = view;
      late.set(view);
      if (statsMs > 0) ticker = setInterval(tick, statsMs);
    },
    async stop() {
      if (ticker !== undefined) {
        clearInterval(ticker);
        ticker = undefined;
        tick();
      }
      await server?.close();
    },
  };
}
