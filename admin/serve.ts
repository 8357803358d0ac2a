/**
 * Serves a fetch handler (a hono app's `app.fetch`) over HTTP on whichever
 * runtime runs the code: `@hono/node-server` on Node, `Deno.serve` on Deno,
 * `Bun.serve` on Bun. Each runtime's adapter is its own small file, loaded
 * only on that runtime.
 *
 * @module
 */

import type { FetchHandler } from "./serve_api.ts";

export type { FetchHandler } from "./serve_api.ts";

/** Where to serve. */
export interface ServeOptions {
  /** Address to bind (default 127.0.0.1). */
  readonly hostname?: string;
  /** Port to bind; 0 (the default) picks a free one. */
  readonly port?: number;
}

/** A running HTTP server. */
export interface Served {
  /** The bound address. */
  readonly hostname: string;
  /** The bound port (the one picked when asked for 0). */
  readonly port: number;
  /** Stops serving and closes open connections. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * The runtime running this code: Bun and Deno first, as both expose `process.versions.node`.
 *
 * @example
 * ```ts
 * httpRuntime(); // "deno" under `deno run`
 * ```
 */
export function httpRuntime(): "node" | "deno" | "bun" {
  const g = globalThis as { Bun?: unknown; Deno?: unknown };
  return g.Bun !== undefined ? "bun" : g.Deno !== undefined ? "deno" : "node";
}

/**
 * Serves `fetch` on this runtime's native HTTP server.
 *
 * @param fetch the handler, e.g. a hono app's `app.fetch`
 * @param options address and port
 * @returns the running server, with its bound port
 * @throws {ForesightError} CONFIG when the port cannot be bound (in use, no permission)
 * @example
 * ```ts
 * const app = new Hono().get("/", (c) => c.text("hi"));
 * const server = await serve(app.fetch, { port: 0 });
 * console.log(`http://127.0.0.1:${server.port}/`);
 * await server.close();
 * ```
 */
export async function serve(fetch: FetchHandler, options: ServeOptions = {}): Promise<Served> {
  const at = { hostname: options.hostname ?? "127.0.0.1", port: options.port ?? 0 };
  switch (httpRuntime()) {
    case "bun":
      return (await import("./serve_bun.ts")).serveBun(fetch, at);
    case "deno":
      return (await import("./serve_deno.ts")).serveDeno(fetch, at);
    default:
      return (await import("./serve_node.ts")).serveNode(fetch, at);
  }
}
