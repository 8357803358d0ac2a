/**
 * The Bun adapter of {@link serve}: `Bun.serve`.
 *
 * @module
 */

import type { BunHttp, FetchHandler } from "./serve_api.ts";
import type { Served } from "./serve.ts";
import { bindError } from "./bind_error.ts";

/** How long `close()` lets in-flight responses finish before closing their connections. */
const GRACE_MS = 1000;

/**
 * Serves `fetch` with `Bun.serve`, without an idle timeout (server-sent
 * event streams stay open between events).
 *
 * @throws {ForesightError} CONFIG when the port cannot be bound
 * @example
 * ```ts
 * const server = serveBun(app.fetch, { hostname: "127.0.0.1", port: 0 });
 * ```
 */
export function serveBun(fetch: FetchHandler, at: { hostname: string; port: number }): Served {
  const bun = (globalThis as unknown as { Bun: BunHttp }).Bun;
  let server;
  try {
    server = bun.serve({ hostname: at.hostname, port: at.port, idleTimeout: 0, fetch });
  } catch (e) {
    throw bindError(at, e);
  }
  let closing: Promise<void> | undefined;
  return {
    hostname: at.hostname,
    port: server.port,
    close: () => {
      if (closing) return closing;
      // In-flight responses get a grace period to finish, then every connection is closed.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<void>((r) => timer = setTimeout(r, GRACE_MS));
      return closing = Promise.race([Promise.resolve(server.stop(false)), late])
        .then(() => server.stop(true))
        .then(() => clearTimeout(timer));
    },
  };
}
