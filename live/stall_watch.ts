/**
 * Slow and stalled peers, on one coarse timer per {@link StallWatch} (a
 * role makes one on its clock; {@link sharedStallWatch} serves the rest).
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
 * - Idle (keepalive): once a connection is past its handshake, a peer that
 *   vanished without closing, or whose process is stopped, sends nothing at
 *   all. A connection on which nothing has arrived for its idle limit, while
 *   this side waits for bytes, is closed; and one on which this side has
 *   written nothing for a third of that limit gets a `ping`, so a peer that
 *   merely waits is never idle. Both are read from counters the connection
 *   keeps (chunks read, writes made), sampled here.
 *
 * The timer samples every watched connection each period (1 s, less when a
 * limit is under 4 s, or an idle limit under 6 s); nothing runs per chunk or
 * per frame. The read side is sampled too: a frame is seen pending at one
 * check and still pending, as the same frame, at a later one; it is cut off
 * once the checks span more than its limit, so between the limit and the
 * limit plus two periods after it began. Likewise an idle connection is cut
 * off between its limit and its limit plus two periods (a sixth of it each).
 * A check that comes late because this process was busy (its event loop
 * blocked) does not count the lost time against the peer. A stalled peer
 * costs its own connection and nothing else.
 *
 * @module
 */

import { type Clock, realClock } from "../core/run/clock.ts";

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
  /** The idle side (optional): true once keepalive is on (after the handshake). */
  keepingAlive?(): boolean;
  /**
   * Sampled once per check while keepalive is on: a count that changes
   * whenever bytes arrive, while this side waits for the peer's bytes;
   * undefined when it does not (busy with what it received), which restarts
   * the idle clock.
   */
  received?(): number | undefined;
  /** A count that changes with every write (for when to ping). */
  written?(): number;
  /** Sends a keepalive `ping` (this side wrote nothing for a third of the idle limit). */
  ping?(): void;
  /** Closes it: nothing arrived for at least `quietMs` (over the idle limit). */
  idle?(quietMs: number): void;
}

/** The idle side of an entry: the counters last seen and since when. */
interface IdleMark {
  received: number | undefined;
  /** When something was last seen to arrive (or the clock restarted). */
  heardAt: number;
  written: number | undefined;
  /** When a write was last seen (or a ping sent). */
  wroteAt: number;
  /** The previous check. */
  seen: number;
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
  readonly idleMs: number | undefined;
  mark: ReadMark | undefined;
  idle: IdleMark | undefined;
}

/** Longest period between checks. */
const CHECK_MS = 1000;
/** Shortest period between checks. */
const MIN_CHECK_MS = 20;

/** How long checks were missed, and when that ended (clock ms). */
export interface Pause {
  readonly ms: number;
  readonly endedAt: number;
}

/**
 * Watches connections for stalled writes, stalled frames and idle peers, on
 * one coarse timer driven by `clock` (it runs while anything is watched).
 *
 * @example
 * ```ts
 * const stalls = new StallWatch(realClock);
 * const unwatch = stalls.watch(peer, 10_000, 10_000, 30_000);
 * conn.closed.finally(unwatch);
 * if (stalls.lastPause().ms > 30_000) console.log("stopped longer than the idle limit");
 * ```
 */
export class StallWatch {
  /** The clock every time of this watch is read on (`Watched.writingSince` too). */
  readonly clock: Clock;
  readonly #watched = new Set<Entry>();
  #period = CHECK_MS;
  /** Stops the running timer; undefined while none runs. */
  #stopTimer: AbortController | undefined;
  /** When the previous check ran, while the timer runs. */
  #lastCheck: number | undefined;
  /** The last time the checks were missed: for how long, and when it ended. */
  #pause: Pause = { ms: 0, endedAt: -Infinity };

  /** @param clock what drives the checks and what every time is measured on */
  constructor(clock: Clock) {
    this.clock = clock;
  }

  /** The period between checks now (ms): the longest that enforces every watched limit in time. */
  get period(): number {
    return this.#period;
  }

  /** How many connections are watched. */
  get size(): number {
    return this.#watched.size;
  }

  /**
   * The last time the checks fell far behind (this process was stopped, e.g.
   * by SIGSTOP, or its event loop blocked) while connections were watched: how
   * long it lasted and when it ended (clock ms); `ms` 0 when never.
   */
  lastPause(): Pause {
    // Just resumed, before the timer had its turn: the pause is the check missed.
    const t = this.clock.now();
    const last = this.#lastCheck;
    if (this.#stopTimer !== undefined && last !== undefined && t - last > 3 * this.#period) {
      return { ms: t - last - this.#period, endedAt: t };
    }
    return this.#pause;
  }

  /**
   * Watches `w` until the returned function is called: `limitMs` is how long
   * a write may wait, `frameMs` (when given, with the read side of
   * {@link Watched}) how long a frame may take to arrive once it has begun,
   * and `idleMs` (when given and finite, with the idle side) how long a
   * connection may bring nothing at all.
   */
  watch(w: Watched, limitMs: number, frameMs?: number, idleMs?: number): () => void {
    const idle = idleMs !== undefined && Number.isFinite(idleMs) ? idleMs : undefined;
    const entry: Entry = { w, limitMs, frameMs, idleMs: idle, mark: undefined, idle: undefined };
    this.#watched.add(entry);
    // Check often enough that a limit is enforced within a fraction of itself;
    // an idle limit within a sixth, so pings (after a third) always arrive in time.
    const quarter = Math.min(limitMs / 4, (frameMs ?? limitMs) / 4, (idle ?? Infinity) / 6);
    const want = Number.isFinite(quarter)
      ? Math.max(MIN_CHECK_MS, Math.min(CHECK_MS, quarter))
      : CHECK_MS;
    if (this.#stopTimer !== undefined && want < this.#period) this.#stop();
    if (this.#stopTimer === undefined) {
      this.#period = Math.min(this.#period, want);
      this.#start();
    }
    return () => {
      this.#watched.delete(entry);
      if (this.#watched.size === 0 && this.#stopTimer !== undefined) {
        this.#stop();
        this.#period = CHECK_MS;
      }
    };
  }

  #start(): void {
    const stop = new AbortController();
    this.#stopTimer = stop;
    // From now: a process stopped before the first check still sees its pause.
    this.#lastCheck = this.clock.now();
    const period = this.#period;
    void (async () => {
      while (!stop.signal.aborted) {
        try {
          await this.clock.sleep(period, stop.signal);
        } catch {
          return; // stopped
        }
        if (!stop.signal.aborted) this.check();
      }
    })();
  }

  #stop(): void {
    this.#stopTimer?.abort();
    this.#stopTimer = undefined;
  }

  /** Checks every watched connection now (the timer calls this every period). */
  check(): void {
    const t = this.clock.now();
    const period = this.#period;
    if (this.#lastCheck !== undefined && t - this.#lastCheck > 3 * period) {
      this.#pause = { ms: t - this.#lastCheck - period, endedAt: t };
    }
    this.#lastCheck = t;
    for (const entry of this.#watched) {
      const { w, limitMs } = entry;
      const since = w.writingSince();
      const waited = since === undefined ? 0 : t - since;
      if (waited > limitMs) {
        w.stalled(waited);
        continue;
      }
      if (entry.frameMs !== undefined) this.#checkRead(entry, t);
      if (entry.idleMs !== undefined) this.#checkIdle(entry, t);
    }
  }

  #checkIdle(entry: Entry, t: number): void {
    const { w } = entry;
    const idleMs = entry.idleMs!;
    if (!w.keepingAlive?.()) {
      entry.idle = undefined;
      return;
    }
    const received = w.received?.();
    const written = w.writingSince() === undefined ? w.written?.() : undefined;
    const mark = entry.idle;
    if (mark === undefined) {
      entry.idle = { received, heardAt: t, written, wroteAt: t, seen: t };
      return;
    }
    // A check far behind its period means this process was busy: what the
    // peer sent may be waiting unread, so that time is not the peer's.
    const gap = t - mark.seen;
    if (gap > 3 * this.#period) mark.heardAt += gap - this.#period;
    mark.seen = t;
    if (received === undefined || received !== mark.received) {
      mark.received = received;
      mark.heardAt = t;
    } else if (t - mark.heardAt > idleMs) {
      entry.idle = undefined;
      w.idle?.(t - mark.heardAt);
      return;
    }
    if (written === undefined || written !== mark.written) {
      mark.written = written;
      mark.wroteAt = t;
    } else if (t - mark.wroteAt >= idleMs / 3) {
      mark.wroteAt = t;
      w.ping?.();
    }
  }

  #checkRead(entry: Entry, t: number): void {
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
    if (gap > 3 * this.#period) {
      mark.at += gap - this.#period;
      mark.quietAt += gap - this.#period;
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
}

let shared: StallWatch | undefined;

/**
 * The watch on {@link realClock} that peers use when given none (made on
 * first use): one timer for every such connection of the process.
 *
 * @example
 * ```ts
 * const unwatch = sharedStallWatch().watch(peer, 10_000);
 * ```
 */
export function sharedStallWatch(): StallWatch {
  return shared ??= new StallWatch(realClock);
}
