/**
 * Slow and stalled peers, on one coarse timer per process.
 *
 * - Writes: a peer that stops reading makes our writes to it wait forever,
 *   holding what they send (a cached file cannot be evicted while it is being
 *   read). A connection whose current write has waited longer than its limit
 *   is closed.
 * - Reads: a peer that sends the first bytes of a frame and then goes silent
 *   (or trickles it) holds a connection and a partial buffer. A connection
 *   whose frame has been arriving for longer than its limit is closed. Only a
 *   frame in progress counts: a connection idle between frames is left alone,
 *   and so is time this side spends on what it already received.
 *
 * The timer samples every watched connection each period (1 s, less when a
 * limit is under 4 s); nothing runs per chunk or per frame. The read side is
 * sampled too: a frame is seen pending at one check and still pending, as the
 * same frame, at a later one; it is cut off once the checks span more than its
 * limit, so between the limit and the limit plus two periods after it began.
 * A check that comes late because this process was busy (its event loop
 * blocked) does not count the lost time against the peer. A stalled peer
 * costs its own connection and nothing else.
 *
 * @module
 */

/** A connection whose writes, and optionally reads, can be watched. */
export interface Watched {
  /** When the write in progress began (clock ms), or undefined when none is. */
  writingSince(): number | undefined;
  /** Closes it: its write has waited `waitedMs`. */
  stalled(waitedMs: number): void;
  /**
   * The read side (optional, sampled once per check): while this side waits
   * for the rest of a frame whose first bytes have arrived, a number naming
   * that frame, which changes whenever a frame completes (e.g. frames read so
   * far); undefined otherwise (idle between frames, or busy with what it
   * received).
   */
  readingFrame?(): number | undefined;
  /** Bytes of the pending frame received so far (to tell a stall from a trickle). */
  readBytes?(): number;
  /**
   * Closes it: its pending frame began arriving at least `pendingMs` ago, and
   * no byte of it came for the last `quietMs` (at most `pendingMs`).
   */
  readStalled?(pendingMs: number, quietMs: number): void;
}

/** A frame seen pending: since when, and when its byte count last moved. */
interface ReadMark {
  readonly frame: number;
  /** When it was first seen pending. */
  at: number;
  bytes: number;
  /** When its byte count was last seen to change (or first seen). */
  quietAt: number;
  /** The previous check. */
  seen: number;
}

interface Entry {
  readonly w: Watched;
  readonly limitMs: number;
  readonly frameMs: number | undefined;
  readonly now: () => number;
  mark: ReadMark | undefined;
}

const watched = new Set<Entry>();
let timer: ReturnType<typeof setInterval> | undefined;
/** Longest period between checks. */
const CHECK_MS = 1000;
/** Shortest period between checks. */
const MIN_CHECK_MS = 20;
let period = CHECK_MS;

function check(): void {
  for (const entry of watched) {
    const { w, limitMs, now } = entry;
    const since = w.writingSince();
    const t = now();
    const waited = since === undefined ? 0 : t - since;
    if (waited > limitMs) {
      w.stalled(waited);
      continue;
    }
    if (entry.frameMs !== undefined) checkRead(entry, t);
  }
}

function checkRead(entry: Entry, t: number): void {
  const { w } = entry;
  const frame = w.readingFrame?.();
  if (frame === undefined) {
    entry.mark = undefined;
    return;
  }
  const bytes = w.readBytes?.() ?? 0;
  const mark = entry.mark;
  if (mark === undefined || mark.frame !== frame) {
    entry.mark = { frame, at: t, bytes, quietAt: t, seen: t };
    return;
  }
  // A check far behind its period means this process was busy: the bytes may
  // be waiting unread in the socket, so that time is not the peer's.
  const gap = t - mark.seen;
  if (gap > 3 * period) {
    mark.at += gap - period;
    mark.quietAt += gap - period;
  }
  mark.seen = t;
  if (bytes !== mark.bytes) {
    mark.bytes = bytes;
    mark.quietAt = t;
  }
  const pending = t - mark.at;
  if (pending > entry.frameMs!) {
    entry.mark = undefined;
    w.readStalled?.(pending, t - mark.quietAt);
  }
}

/**
 * Watches `w` until the returned function is called; `limitMs` is how long a
 * write may wait, `now` the clock it is measured on, and `frameMs` (when
 * given, with the read side of {@link Watched}) how long a frame may take to
 * arrive once it has begun.
 *
 * @example
 * ```ts
 * const unwatch = watchStalls(peer, 10_000, () => performance.now(), 10_000);
 * conn.closed.finally(unwatch);
 * ```
 */
export function watchStalls(
  w: Watched,
  limitMs: number,
  now: () => number,
  frameMs?: number,
): () => void {
  const entry: Entry = { w, limitMs, frameMs, now, mark: undefined };
  watched.add(entry);
  // Check often enough that a limit is enforced within a fraction of itself.
  const quarter = Math.min(limitMs, frameMs ?? limitMs) / 4;
  const want = Number.isFinite(quarter)
    ? Math.max(MIN_CHECK_MS, Math.min(CHECK_MS, quarter))
    : CHECK_MS;
  if (timer !== undefined && want < period) {
    clearInterval(timer);
    timer = undefined;
  }
  if (timer === undefined) {
    period = Math.min(period, want);
    timer = setInterval(check, period);
  }
  return () => {
    watched.delete(entry);
    if (watched.size === 0 && timer !== undefined) {
      clearInterval(timer);
      timer = undefined;
      period = CHECK_MS;
    }
  };
}
