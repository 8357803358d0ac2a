/**
 * One directed link of the simulated network: a fixed rate, and whole files
 * sent one at a time in the order they were queued (the live Peer serialises
 * whole files per connection the same way).
 *
 * @module
 */

import type { EventQueue } from "./event_queue.ts";

/** A file to send over a {@link Link}. */
export interface Transfer {
  /** Bytes. */
  readonly size: number;
  /**
   * The earliest moment the last byte can leave (cut-through: a cache cannot
   * finish forwarding a file before the file has finished arriving).
   */
  readonly readyAt?: number;
  /** The first byte leaves at `now` (the header arrives); the last will at `finish`. */
  readonly onStart?: (finish: number) => void;
  /** The last byte arrived. */
  readonly onFinish: () => void;
}

/**
 * A FIFO link at `rate` bytes per second.
 *
 * @example
 * ```ts
 * const link = new Link(agenda, 1024 * 1000);
 * link.send({ size: 2048, onFinish: () => {} }); // finishes 0.002 s later
 * ```
 */
export class Link {
  /** Bytes per second. */
  readonly rate: number;
  readonly #agenda: EventQueue;
  readonly #queue: Transfer[] = [];
  #head = 0;
  #busy = false;
  #bytes = 0;
  #files = 0;
  #busyTime = 0;

  /**
   * @param agenda the simulator's event queue
   * @param rate bytes per second
   */
  constructor(agenda: EventQueue, rate: number) {
    this.#agenda = agenda;
    this.rate = rate;
  }

  /** Bytes delivered so far. */
  get bytes(): number {
    return this.#bytes;
  }
  /** Files delivered so far. */
  get files(): number {
    return this.#files;
  }
  /** Seconds spent sending so far (including cut-through stalls). */
  get busyTime(): number {
    return this.#busyTime;
  }

  /** Queues `t`; it starts at once when the link is idle. */
  send(t: Transfer): void {
    if (this.#busy) this.#queue.push(t);
    else this.#start(t);
  }

  #start(t: Transfer): void {
    this.#busy = true;
    const now = this.#agenda.now;
    const finish = Math.max(now + t.size / this.rate, t.readyAt ?? 0);
    if (t.onStart) this.#agenda.at(now, () => t.onStart!(finish));
    this.#agenda.at(finish, () => {
      this.#busy = false;
      this.#bytes += t.size;
      this.#files++;
      this.#busyTime += finish - now;
      // The next queued file goes first, so anything sent from onFinish queues behind it.
      if (this.#head < this.#queue.length) {
        const next = this.#queue[this.#head]!;
        this.#queue[this.#head++] = undefined as unknown as Transfer;
        if (this.#head === this.#queue.length) {
          this.#queue.length = 0;
          this.#head = 0;
        }
        this.#start(next);
      }
      t.onFinish();
    });
  }
}
