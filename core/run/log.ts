/**
 * The logging contract: roles provide a logger (structured, on stderr);
 * everything else only calls it.
 *
 * @module
 */

/** Severity of a log record. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** Structured fields of a log record. */
export type LogFields = Record<string, unknown>;

/** A structured logger. */
export interface Logger {
  /** Logs `msg` with `fields` at `level`. */
  log(level: LogLevel, msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every record. */
  child(fields: LogFields): Logger;
}

/** A logger that drops everything (tests, embedding). */
export const silentLogger: Logger = {
  log() {},
  child() {
    return silentLogger;
  },
};
