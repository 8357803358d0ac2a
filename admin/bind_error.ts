/**
 * The error every serve adapter throws when it cannot bind its port.
 *
 * @module
 */

import { ForesightError } from "../errors.ts";

/**
 * A CONFIG error saying which address could not be bound and why.
 *
 * @example
 * ```ts
 * throw bindError({ hostname: "127.0.0.1", port: 80 }, new Error("EACCES"));
 * ```
 */
export function bindError(at: { hostname: string; port: number }, cause: unknown): ForesightError {
  const why = cause instanceof Error ? cause.message : String(cause);
  return new ForesightError(
    "CONFIG",
    `Cannot serve HTTP on ${at.hostname}:${at.port}: ${why}`,
    { cause },
  );
}
