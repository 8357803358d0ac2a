/**
 * Time as an argument: the live roles pass {@link realClock}, the simulator
 * and tests pass a virtual one, and the very same code runs on both.
 *
 * @module
 */

/** A source of time in milliseconds and a way to wait. */
export interface Clock {
  /** Milliseconds since an arbitrary origin; never decreases. */
  now(): number;
  /**
   * Resolves after `ms` milliseconds (at once when `ms` <= 0); rejects with
   * the signal's reason once `signal` aborts, and forgets the wait.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/**
 * Wall-clock time as high-resolution epoch milliseconds
 * (`performance.timeOrigin + performance.now()`), the same in every process
 * of one machine, so a time stamp in a message means the same instant to its
 * receiver. Sleeps use `setTimeout`.
 *
 * @example
 * ```ts
 * const t0 = realClock.now();
 * await realClock.sleep(5);
 * ```
 */
export const realClock: Clock = {
  now: () => performance.timeOrigin + performance.now(),
  sleep: (ms, signal) => {
    if (signal === undefined) {
      return ms <= 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, ms));
    }
    if (signal.aborted) return Promise.reject(signal.reason);
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal.reason);
      };
      const timer = setTimeout(() => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      signal.addEventListener("abort", onAbort, { once: true });
    });
  },
};

/**
 * A clock that moves only when told to, for tests of timing logic.
 *
 * @example
 * ```ts
 * const clock = new ManualClock();
 * const done = clock.sleep(10);
 * clock.advance(10); // `done` resolves
 * ```
 */
export class ManualClock implements Clock {
  #now = 0;
  #sleepers: { until: number; resolve: () => void }[] = [];

  /** Current virtual time in ms. */
  now(): number {
    return this.#now;
  }

  /**
   * Resolves when {@link advance} has moved time past `now() + ms`; rejects
   * with the signal's reason once `signal` aborts.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.#sleepers = this.#sleepers.filter((s) => s !== sleeper);
        reject(signal?.reason);
      };
      const sleeper = {
        until: this.#now + ms,
        resolve: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      this.#sleepers.push(sleeper);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Moves time forward by `ms` and wakes every sleeper that is due. */
  advance(ms: number): void {
    this.#now += ms;
    const due = this.#sleepers.filter((s) => s.until <= this.#now);
    this.#sleepers = this.#sleepers.filter((s) => s.until > this.#now);
    for (const s of due) s.resolve();
  }

  /** How many sleepers are waiting. */
  get pending(): number {
    return this.#sleepers.length;
  }
}

/**
 * `clock` moved by `offsetMs`: `now()` reads `offsetMs` later (earlier when
 * negative), sleeps last as long. A diagnostic: it makes one process's clock
 * differ from its peers' as a machine's clock may (`--clock-offset-ms`).
 *
 * @example
 * ```ts
 * const ahead = offsetClock(realClock, 10_000); // 10 s ahead of this machine
 * ahead.now() - realClock.now(); // ≈ 10000
 * ```
 */
export function offsetClock(clock: Clock, offsetMs: number): Clock {
  if (offsetMs === 0) return clock;
  return { now: () => clock.now() + offsetMs, sleep: (ms, signal) => clock.sleep(ms, signal) };
}
