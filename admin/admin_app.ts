/**
 * The admin API of one role, a hono app over the role's read-only
 * {@link RoleView}: `/health`, `/stats`, `/metrics` and (origin and caches)
 * `/files/:id`. It only reads the view; serving it changes nothing in the run
 * (a file read over HTTP is no hit or miss of the cache policy).
 *
 * @module
 */

import { Hono } from "hono";
import type { RoleView } from "../core/run/role_view.ts";
import { ForesightError } from "../errors.ts";
import { healthOf } from "./health.ts";
import { PROMETHEUS_CONTENT_TYPE, prometheusText } from "./prometheus.ts";
import { parseFileId } from "./file_id.ts";
import { fileResponse } from "./file_response.ts";

/** Options of {@link adminApp}. */
export interface AdminOptions {
  /** The scenario's file count once known: ids past it get 400 (until then, up to 2,000,000). */
  readonly files?: () => number | undefined;
  /** More fields for `/stats` and `/metrics`, e.g. `{ process: { rssBytes, uptimeSeconds } }`. */
  readonly extraStats?: () => Record<string, unknown>;
  /** When set, every endpoint but `/health` wants `Authorization: Bearer <token>` (the shared secret). */
  readonly token?: string;
}

/** Compares two strings in time that does not depend on where they differ. */
function sameText(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    diff |= (a.charCodeAt(i) || 0) ^ (b.charCodeAt(i) || 0);
  }
  return diff === 0;
}

const ENDPOINTS = {
  "/health": "liveness and readiness",
  "/stats": "the role's live state as JSON",
  "/metrics": "Prometheus text exposition",
  "/files/:id": "a file's bytes (origin: any file; cache: files it holds), Range supported",
};

/**
 * Builds the admin app of a role. Serve it with `serve(app.fetch, { port })`.
 *
 * Errors are JSON `{ error, code? }`: 400 for a bad file id (valibot's message
 * naming the value and the expected range), 404 for a file not held (a
 * cache adds `X-Cache: MISS`; hits carry `X-Cache: HIT`), 416 for a range past
 * the end, 500 when reading the view fails.
 *
 * @param view the role's read-only view (from the role's `onView` option)
 * @param options file count and extra stats
 * @example
 * ```ts
 * const server = await serve(adminApp(view, { files: () => scenario.files }).fetch, { port: 0 });
 * const health = await (await fetch(`http://127.0.0.1:${server.port}/health`)).json();
 * ```
 */
export function adminApp(view: RoleView, options: AdminOptions = {}): Hono {
  const stats = () => ({ ...view.stats(), ...options.extraStats?.() });
  const app = new Hono();
  const token = options.token;
  if (token !== undefined) {
    app.use("*", async (c, next) => {
      if (c.req.path === "/health") return await next();
      const given = /^Bearer (.+)$/.exec(c.req.header("authorization") ?? "")?.[1] ?? "";
      if (!sameText(given, token)) {
        return c.json(
          { error: "Cannot answer: this role wants its shared secret as a bearer token" },
          401,
          {
            "www-authenticate": 'Bearer realm="foresight"',
          },
        );
      }
      await next();
    });
  }
  app.get("/", (c) => c.json({ role: view.role, endpoints: ENDPOINTS }));
  app.get("/health", (c) => c.json(healthOf(view)));
  app.get("/stats", (c) => c.json(stats()));
  app.get("/metrics", (c) =>
    c.body(prometheusText(view.role, stats(), view.phase()), 200, {
      "content-type": PROMETHEUS_CONTENT_TYPE,
    }));
  app.get("/files/:id", (c) => {
    const parsed = parseFileId(c.req.param("id"), options.files?.());
    if (!parsed.ok) return c.json(parsed.error, 400);
    const id = parsed.id;
    if (!view.file) {
      return c.json({ error: `Cannot serve file ${id}: a ${view.role} holds no files` }, 404);
    }
    const file = view.file(id);
    const tag: Record<string, string> = view.role === "cache"
      ? { "x-cache": file ? "HIT" : "MISS" }
      : {};
    if (!file) {
      return c.json(
        { error: `Cannot serve file ${id}: this ${view.role} does not hold it whole now` },
        404,
        tag,
      );
    }
    return fileResponse(id, file, c.req.header("range"), tag);
  });
  app.notFound((c) =>
    c.json({
      error: `Cannot ${c.req.method} ${new URL(c.req.url).pathname}: no such endpoint`,
      endpoints: Object.keys(ENDPOINTS),
    }, 404)
  );
  app.onError((e, c) => {
    const code = e instanceof ForesightError ? e.code : "INTERNAL";
    return c.json(
      { error: `Cannot answer ${c.req.method} ${c.req.path}: ${e.message}`, code },
      500,
    );
  });
  return app;
}
