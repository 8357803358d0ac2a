/**
 * The connect timeout and abort handling shared by every adapter.
 *
 * @module
 */
import { ForesightError } from "../errors.ts";
import { formatAddress, socketError } from "./socket_error.ts";
import type { Conn, ConnectOptions } from "./types.ts";

/** Default for {@link ConnectOptions.timeoutMs}. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/**
 * Runs one connect attempt under the options' timeout and abort signal.
 * The attempt gets a signal that fires when the caller gives up, so it can
 * cancel the native connect; a connection that still arrives is closed.
 *
 * @param options where to connect, the timeout and the caller's signal
 * @param attempt starts the native connect and wraps the result
 * @returns the connection
 * @throws {ForesightError} `TIMEOUT` after `timeoutMs`; the attempt's failure
 *   translated (`CONN_REFUSED`, …); or the caller signal's `reason` when it aborts
 * @example
 * ```ts
 * const conn = await connectWithin({ host: "127.0.0.1", port: 9000, timeoutMs: 2000 },
 *   (signal) => Deno.connect({ hostname: "127.0.0.1", port: 9000, signal }).then(wrap));
 * ```
 */
export function connectWithin(
  options: ConnectOptions,
  attempt: (signal: AbortSignal) => Promise<Conn>,
): Promise<Conn> {
  const { signal, timeoutMs = DEFAULT_CONNECT_TIMEOUT_MS } = options;
  const action = `connect to ${formatAddress(options)}`;
  if (signal?.aborted) return Promise.reject(signal.reason);
  const cancel = new AbortController();
  return new Promise<Conn>((resolve, reject) => {
    let settled = false;
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      return true;
    };
    const giveUp = (error: unknown): void => {
      if (!settle()) return;
      cancel.abort(error);
      reject(error);
    };
    const onAbort = (): void => giveUp(signal?.reason);
    const timer = setTimeout(() => {
      giveUp(new ForesightError("TIMEOUT", `Cannot ${action}: no answer in ${timeoutMs} ms`));
    }, timeoutMs);
    signal?.addEventListener("abort", onAbort, { once: true });
    attempt(cancel.signal).then(
      (conn) => settle() ? resolve(conn) : conn.close(),
      (error) => settle() && reject(socketError(error, action, "CONN_REFUSED")),
    );
  });
}
