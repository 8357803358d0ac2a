/**
 * A read-only view of a running role, for the admin API, metrics and live
 * progress: its phase, a JSON-safe snapshot of its counters, and (origin and
 * caches) access to the bytes of the files it holds.
 *
 * @module
 */

/** Where a role is in its life. */
export type Phase = "registering" | "waiting" | "warming" | "running" | "stopping" | "done";

/** Bytes of one file, for reading outside the protocol (HTTP). */
export interface FileAccess {
  /** Total bytes. */
  readonly size: number;
  /** The bytes from `offset`, `length` of them, in parts (read as they are pulled). */
  read(offset: number, length: number): Iterable<Uint8Array> | AsyncIterable<Uint8Array>;
}

/** What a role shows of itself. */
export interface RoleView {
  /** "origin", "cache" or "client". */
  readonly role: "origin" | "cache" | "client";
  /** Its phase now. */
  phase(): Phase;
  /** A JSON-safe snapshot of its counters (numbers, strings, arrays, plain objects). */
  stats(): Record<string, unknown>;
  /** The file `id` if this role can serve it whole now (origin: any; cache: held and complete). */
  file?(id: number): FileAccess | undefined;
}
