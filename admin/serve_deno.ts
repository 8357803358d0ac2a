/**
 * The Deno adapter of {@link serve}: `Deno.serve`.
 *
 * @module
 */

import type { DenoHttp, FetchHandler } from "./serve_api.ts";
import type { Served } from "./serve.ts";
import { bindError } from "./bind_error.ts";

/** How long `close()` waits for in-flight responses before giving up on them. */
const SHUTDOWN_MS = 1000;

/**
 * Serves `fetch` with `Deno.serve` (quietly: no "Listening on" line on stdout).
 *
 * @throws {ForesightError} CONFIG when the port cannot be bound
 * @example
 * ```ts
 * const server = serveDeno(app.fetch, { hostname: "127.0.0.1", port: 0 });
 * ```
 */
export function serveDeno(fetch: FetchHandler, at: { hostname: string; port: number }): Served {
  const deno = (globalThis as unknown as { Deno: DenoHttp }).Deno;
  let server;
  try {
    server = deno.serve({ hostname: at.hostname, port: at.port, onListen: () => {} }, fetch);
  } catch (e) {
    throw bindError(at, e);
  }
  let closing: Promise<void> | undefined;
  return {
    hostname: at.hostname,
    port: server.addr.port,
    close: () => {
      if (closing) return closing;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<void>((r) => timer = setTimeout(r, SHUTDOWN_MS));
      return closing = Promise.race([server.shutdown(), late]).finally(() => clearTimeout(timer));
    },
  };
}
