/**
 * The admin side of Foresight: each role's HTTP admin API (health, stats,
 * Prometheus metrics, file bytes) over its read-only view, and the live
 * dashboard of `foresight run` (its time series and charts: report/). Hono
 * apps served on Node, Deno and Bun alike.
 *
 * @example
 * ```ts
 * import { adminApp, serve } from "./admin/mod.ts";
 * const server = await serve(adminApp(view).fetch, { port: 0 });
 * ```
 *
 * @module
 */

export { adminApp, type AdminOptions } from "./admin_app.ts";
export { type Health, healthOf } from "./health.ts";
export { PROMETHEUS_CONTENT_TYPE, prometheusText } from "./prometheus.ts";
export { type ByteRange, byteRange } from "./byte_range.ts";
export { type FileIdResult, fileIdSchema, MAX_FILES, parseFileId } from "./file_id.ts";
export { fileResponse } from "./file_response.ts";
export { partsStream } from "./parts_stream.ts";
export { httpRuntime, serve, type Served, type ServeOptions } from "./serve.ts";
export type { FetchHandler } from "./serve_api.ts";
export { type Dashboard, dashboard, type DashboardState } from "./dashboard_app.ts";
export { DASHBOARD_HTML, MAX_CLIENT_BARS } from "./dashboard_page.ts";
export { SseHub } from "./sse_hub.ts";
