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
  /** Resolves after `ms` milliseconds (at once when `ms` <= 0). */
  sleep(ms: number): Promise<void>;
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
  sleep: (ms) => ms <= 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, ms)),
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

  /** Resolves when {@link advance} has moved time past `now() + ms`. */
  sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => this.#sleepers.push({ until: this.#now + ms, resolve }));
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
