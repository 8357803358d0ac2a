/**
 * The one error type Foresight throws. Every failure carries a stable `code`
 * so callers and logs can tell failures apart without parsing messages.
 *
 * @module
 */

/** Stable error codes. */
export const ErrorCode = {
  FRAME_TOO_LARGE: "FRAME_TOO_LARGE",
  UNKNOWN_TYPE: "UNKNOWN_TYPE",
  SCHEMA_INVALID: "SCHEMA_INVALID",
  PROTOCOL: "PROTOCOL",
  VERSION: "VERSION",
  CONN_CLOSED: "CONN_CLOSED",
  CONN_REFUSED: "CONN_REFUSED",
  CONN_RESET: "CONN_RESET",
  TIMEOUT: "TIMEOUT",
  CAPACITY: "CAPACITY",
  CORRUPT: "CORRUPT",
  /** A file name or link the file store will not serve (leaves the root, absolute, `..`). */
  PATH_REFUSED: "PATH_REFUSED",
  /** A stored file's size, time or identity changed after the store listed it. */
  FILE_CHANGED: "FILE_CHANGED",
  /** A client could not write a file to its sink (`--out` folder). */
  WRITE_FAILED: "WRITE_FAILED",
  CONFIG: "CONFIG",
  AUTH: "AUTH",
  LIMIT: "LIMIT",
  INTERNAL: "INTERNAL",
} as const;

/** One of {@link ErrorCode}'s values. */
export type ErrorCode = typeof ErrorCode[keyof typeof ErrorCode];

/**
 * Base error of Foresight: a stable `code`, a message saying what could not be
 * done and why, and the underlying `cause` when there is one.
 *
 * @example
 * ```ts
 * throw new ForesightError("TIMEOUT", "Cannot connect to 127.0.0.1:9000: no answer in 5000 ms");
 * ```
 */
export class ForesightError extends Error {
  /** Stable machine-readable code. */
  readonly code: ErrorCode;
  /**
   * @param code stable code
   * @param message "Cannot X: detail"
   * @param options the underlying cause, if any
   */
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ForesightError";
    this.code = code;
  }
}

/** True when `e` is a {@link ForesightError}, optionally with the given code. */
export function isForesightError(e: unknown, code?: ErrorCode): e is ForesightError {
  return e instanceof ForesightError && (code === undefined || e.code === code);
}
