/**
 * The limits every role enforces, with their defaults. Each is a constant
 * here and an option of the role where it can be changed.
 *
 * | limit | default | where |
 * | --- | --- | --- |
 * | frame body | 1 MiB | protocol/frame.ts `DEFAULT_MAX_BODY`: larger frames close the connection |
 * | request list | `requests` of the scenario (and at most 100,000 ids per list) | origin; protocol `DEFAULT_MAX_LIST` |
 * | handshake | 5 s for `hello` (and for the answer to a challenge) | origin, cache |
 * | join | 10 s for the server's `welcome` | cache, client |
 * | connections | 1024 open at once per server | origin, cache |
 * | connect | 30 s of retries (backoff 0.1 → 2 s) to reach a server | cache, client |
 *
 * @module
 */

/** How long a new connection has to send `hello` (and to answer a challenge). */
export const HANDSHAKE_MS = 5_000;
/** How long a joining side waits for `welcome`. */
export const JOIN_MS = 10_000;
/** Connections a server keeps open at once; one more is refused with an error. */
export const DEFAULT_MAX_CONNECTIONS = 1024;
/** How long a role keeps retrying to reach a server. */
export const CONNECT_DEADLINE_MS = 30_000;
