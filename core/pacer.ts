/**
 * Link shaping: a pacer that lets bytes onto a link no faster than its rate.
 *
 * The pacer keeps the time at which the link becomes free. Sending `n` bytes
 * moves that time on by `n / rate` and waits until then, so a transfer of `S`
 * bytes on an otherwise idle link ends `S / rate` after it began, exactly as
 * the simulator models a link. A sender that falls a little behind (a busy
 * event loop) may catch up by at most the slack; an idle link earns no credit.
 *
 * @module
 */

import type { Clock } from "./clock.ts";
import { ForesightError } from "../errors.ts";

/**
 * Paces a byte stream at a fixed rate.
 *
 * @example
 * ```ts
 * const pacer = new Pacer(1_024_000, realClock); // 1000 KiB/s
 * await pacer.take(65_536); // ~64 ms later
 * ```
 */
export class Pacer {
  readonly #bytesPerMs: number;
  readonly #clock: Clock;
  readonly #slackMs: number;
  #freeAt = -Infinity;
  #bytes = 0;

  /**
   * @param bytesPerSecond link rate; `Infinity` disables pacing
   * @param clock time source
   * @param slackMs how far behind schedule a sender may be and still catch up
   * @throws {ForesightError} CONFIG when the rate is not positive
   */
  constructor(bytesPerSecond: number, clock: Clock, slackMs = 5) {
    if (!(bytesPerSecond > 0)) {
      throw new ForesightError(
        "CONFIG",
        `Cannot pace a link: rate ${bytesPerSecond} B/s is not positive`,
      );
    }
    this.#bytesPerMs = bytesPerSecond / 1000;
    this.#clock = clock;
    this.#slackMs = slackMs;
  }

  /** Bytes let through so far. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Waits until `n` more bytes may be sent at this link's rate. */
  async take(n: number): Promise<void> {
    this.#bytes += n;
    if (this.#bytesPerMs === Infinity) return;
    const now = this.#clock.now();
    // Behind schedule by at most the slack: the link was busy, catch up.
    // Further behind: the link was idle, and idle time earns no credit.
    const start = now - this.#freeAt <= this.#slackMs
      ? Math.max(this.#freeAt, now - this.#slackMs)
      : now;
    this.#freeAt = start + n / this.#bytesPerMs;
    const wait = this.#freeAt - now;
    if (wait > 0.5) await this.#clock.sleep(wait);
  }
}
