/**
 * The limits every role enforces, with their defaults: each is a constant
 * here, except the two the codec enforces, which live beside it in
 * protocol/ (the frame body and the list length), and an option of the
 * role (or of `Peer`) where it can be changed.
 *
 * | limit | default | where |
 * | --- | --- | --- |
 * | frame body | 1 MiB, at most `LENT_BYTES` − 5 (net/types.ts) | protocol/frame.ts `DEFAULT_MAX_BODY` (`PeerOptions.maxBody`): larger frames close the connection |
 * | request list | `requests` of the scenario (and at most 100,000 ids per list) | origin; protocol/messages.ts `DEFAULT_MAX_LIST` |
 * | handshake | 5 s for `hello` (and for the answer to a challenge) | origin, cache |
 * | join | 10 s for the server's `welcome` | cache, client |
 * | connections | 1024 open at once per server | origin, cache (`--max-connections`) |
 * | connect | 30 s of retries (backoff 0.1 → 2 s, 10 s per attempt) to reach a server | cache, client (`--connect-deadline-ms`) |
 * | write | 10 s for one write to be taken by a peer that stops reading | every connection (`PeerOptions.stallMs`) |
 * | frame | 10 s for the rest of a frame once its first bytes arrived | every connection (`PeerOptions.frameMs`) |
 * | idle | 30 s with nothing received, after the handshake; `ping` goes out after a third of it without a write | every connection (`PeerOptions.idleMs`, `--idle-ms`, `FORESIGHT_IDLE_MS`) |
 * | again | a file whose copy came wrong is asked of the origin again 2 times at most, and sent again as often | client, origin |
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
/** The first wait between two attempts to reach a server; it doubles after each. */
export const CONNECT_FIRST_DELAY_MS = 100;
/** The longest wait between two attempts to reach a server. */
export const CONNECT_MAX_DELAY_MS = 2_000;
/** The longest one attempt to reach a server may take. */
export const CONNECT_ATTEMPT_MS = 10_000;
/** How long one write may wait for a peer that stops reading before its connection is closed. */
export const WRITE_STALL_MS = 10_000;
/**
 * How long the rest of a frame may take to arrive once its first bytes have
 * (the frame "begun"): a peer that sends part of a frame and goes silent, or
 * trickles it, loses its connection (`TIMEOUT`). Time between frames is never
 * limited here (that is the idle limit, {@link IDLE_MS}), nor is time this side
 * spends on what it already received. Checked on a coarse timer, so a stall
 * is cut off between this and about this plus 2 s.
 */
export const FRAME_MS = 10_000;
/**
 * How long a connection, once past its handshake, may bring nothing at all
 * before it is closed (`TIMEOUT`): a peer that vanished without closing, or a
 * process that is stopped (its kernel still acknowledges), loses its place.
 * Each side sends a `ping` after a third of this without writing, so a peer
 * that waits silently (a client waiting for the start) stays connected. Time
 * this side spends on what it already received does not count. Checked on the
 * coarse stall timer: cut off between this and about this plus a sixth.
 */
export const IDLE_MS = 30_000;
/**
 * How many times a client asks the origin again for a file whose copies came
 * wrong (`request` with `again`), and so how many times the origin sends a
 * client the same file again; one more is refused (`PROTOCOL`).
 */
export const MAX_AGAIN = 2;
