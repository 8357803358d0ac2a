/**
 * Turns the socket errors of Node, Deno and Bun into {@link ForesightError}s.
 * All three runtimes put the POSIX name (`ECONNRESET`, …) in `error.code`.
 *
 * @module
 */
import { type ErrorCode, ForesightError } from "../errors.ts";
import type { Address } from "./types.ts";

/** POSIX error names → Foresight code and the words used in messages. */
const REASONS: Readonly<Record<string, readonly [ErrorCode, string]>> = {
  ECONNREFUSED: ["CONN_REFUSED", "connection refused"],
  ECONNRESET: ["CONN_RESET", "connection reset by peer"],
  EPIPE: ["CONN_RESET", "broken pipe"],
  ECONNABORTED: ["CONN_RESET", "connection aborted"],
  ETIMEDOUT: ["TIMEOUT", "timed out"],
  EHOSTUNREACH: ["CONN_REFUSED", "host unreachable"],
  ENETUNREACH: ["CONN_REFUSED", "network unreachable"],
  ENOTFOUND: ["CONN_REFUSED", "host not found"],
  EADDRINUSE: ["CONFIG", "address already in use"],
  EADDRNOTAVAIL: ["CONFIG", "address not available"],
  EACCES: ["CONFIG", "permission denied"],
};

/**
 * Formats an address as `host:port` (`[host]:port` for IPv6 literals).
 *
 * @param address the endpoint
 * @returns the printable form
 * @example
 * ```ts
 * formatAddress({ host: "127.0.0.1", port: 9000 }); // "127.0.0.1:9000"
 * ```
 */
export function formatAddress(address: Address): string {
  return address.host.includes(":")
    ? `[${address.host}]:${address.port}`
    : `${address.host}:${address.port}`;
}

/**
 * Translates a runtime's socket error into a {@link ForesightError}; one
 * already translated is returned as is.
 *
 * @param error what the runtime threw or reported
 * @param action what could not be done, e.g. `"connect to 127.0.0.1:9000"`
 * @param fallback the code used when the error's `code` is not a known one
 * @returns the error to throw, with `error` as its `cause`
 * @example
 * ```ts
 * socketError({ code: "ECONNREFUSED" }, "connect to 127.0.0.1:1234", "CONN_REFUSED").message;
 * // "Cannot connect to 127.0.0.1:1234: connection refused"
 * ```
 */
export function socketError(error: unknown, action: string, fallback: ErrorCode): ForesightError {
  if (error instanceof ForesightError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const known = typeof code === "string" ? REASONS[code] : undefined;
  const detail = known?.[1] ?? (error instanceof Error ? error.message : String(error));
  return new ForesightError(known?.[0] ?? fallback, `Cannot ${action}: ${detail}`, {
    cause: error,
  });
}

/**
 * The error for using a connection that is closed or broken (`CONN_CLOSED`).
 *
 * @param action what could not be done, e.g. `"write to 127.0.0.1:9000"`
 * @param cause the error that ended the connection, if any
 * @returns the error to throw
 * @example
 * ```ts
 * throw closedError("write to 127.0.0.1:9000");
 * ```
 */
export function closedError(action: string, cause?: Error): ForesightError {
  const why = cause === undefined ? "" : ` (${cause.message})`;
  return new ForesightError("CONN_CLOSED", `Cannot ${action}: connection closed${why}`, { cause });
}
