/**
 * Slow peers: a peer that stops reading makes our writes to it wait forever,
 * holding what they send (a cached file cannot be evicted while it is being
 * read). One timer per process checks every watched connection each second
 * and closes one whose current write has waited longer than its limit, so a
 * stalled peer costs its own connection and nothing else.
 *
 * @module
 */

/** A connection whose writes can be watched. */
export interface Watched {
  /** When the write in progress began (clock ms), or undefined when none is. */
  writingSince(): number | undefined;
  /** Closes it: its write has waited `waitedMs`. */
  stalled(waitedMs: number): void;
}

interface Entry {
  readonly w: Watched;
  readonly limitMs: number;
  readonly now: () => number;
}

const watched = new Set<Entry>();
let timer: ReturnType<typeof setInterval> | undefined;
const CHECK_MS = 1000;

function check(): void {
  for (const { w, limitMs, now } of watched) {
    const since = w.writingSince();
    const waited = since === undefined ? 0 : now() - since;
    if (waited > limitMs) w.stalled(waited);
  }
}

/**
 * Watches `w` until the returned function is called; `limitMs` is how long a
 * write may wait, `now` the clock it is measured on.
 *
 * @example
 * ```ts
 * const unwatch = watchStalls(peer, 10_000, () => performance.now());
 * conn.closed.finally(unwatch);
 * ```
 */
export function watchStalls(w: Watched, limitMs: number, now: () => number): () => void {
  const entry: Entry = { w, limitMs, now };
  watched.add(entry);
  timer ??= setInterval(check, CHECK_MS);
  return () => {
    watched.delete(entry);
    if (watched.size === 0 && timer !== undefined) {
      clearInterval(timer);
      timer = undefined;
    }
  };
}
