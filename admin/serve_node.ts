/**
 * The Node adapter of {@link serve}: `@hono/node-server` over `node:http`.
 *
 * @module
 */

import type { Server } from "node:http";
import { serve as honoServe } from "@hono/node-server";
import type { FetchHandler } from "./serve_api.ts";
import type { Served } from "./serve.ts";
import { bindError } from "./bind_error.ts";

/** How long `close()` lets in-flight responses finish before closing their sockets. */
const GRACE_MS = 1000;

/**
 * Serves `fetch` with `@hono/node-server`.
 *
 * @throws {ForesightError} CONFIG when the port cannot be bound
 * @example
 * ```ts
 * const server = await serveNode(app.fetch, { hostname: "127.0.0.1", port: 0 });
 * ```
 */
export function serveNode(
  fetch: FetchHandler,
  at: { hostname: string; port: number },
): Promise<Served> {
  return new Promise((resolve, reject) => {
    let closing: Promise<void> | undefined;
    const server = honoServe(
      { fetch, hostname: at.hostname, port: at.port, overrideGlobalObjects: false },
      (info) =>
        resolve({
          hostname: at.hostname,
          port: info.port,
          close: () =>
            closing ??= new Promise<void>((done) => {
              // In-flight responses get a grace period to finish, then every socket is closed.
              const force = setTimeout(() => server.closeAllConnections(), GRACE_MS);
              server.close(() => {
                clearTimeout(force);
                done();
              });
              server.closeIdleConnections();
            }),
        }),
    ) as Server;
    server.once("error", (e) => reject(bindError(at, e)));
  });
}
