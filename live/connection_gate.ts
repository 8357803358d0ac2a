/**
 * A cap on the connections a server keeps open at once: one more is told why
 * (an `error` frame, code LIMIT) and closed, and the server goes on serving
 * the others.
 *
 * @module
 */

import type { Conn } from "../net/types.ts";
import type { Logger } from "../core/run/log.ts";
import { encodeMessage } from "../protocol/mod.ts";

/**
 * Wraps a connection handler so that at most `max` connections are open at once.
 *
 * @example
 * ```ts
 * await adapter.listen(address, gate(1024, log, (conn) => void serve(conn)));
 * ```
 */
export function gate(
  max: number,
  log: Logger,
  onConnection: (conn: Conn) => void,
): (conn: Conn) => void {
  let open = 0;
  return (conn) => {
    if (open >= max) {
      const message = `Cannot accept the connection: ${open} are open, the limit is ${max}`;
      log.log("warn", "connection refused: limit", {
        remote: `${conn.remote.host}:${conn.remote.port}`,
        limit: max,
      });
      conn.write(encodeMessage({ type: "error", code: "LIMIT", message }))
        .catch(() => {})
        .finally(() => conn.close());
      return;
    }
    open++;
    conn.closed.finally(() => open--);
    onConnection(conn);
  };
}
