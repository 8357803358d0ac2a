/**
 * One directed link of the simulated network: a fixed rate, and whole files
 * sent one at a time in the order they were queued (the live Peer serialises
 * whole files per connection the same way).
 *
 * @module
 */

import type { EventQueue, Receiver } from "./event_queue.ts";

/** A file to send over a {@link Link}: a record the link hands back to its {@link LinkSink}. */
export interface Transfer {
  /** Bytes. */
  readonly size: number;
  /**
   * The earliest moment the last byte can leave (cut-through: a cache cannot
   * finish forwarding a file before the file has finished arriving).
   */
  readonly readyAt?: number | undefined;
  /** Tell the sink when the first byte leaves (`began`, a step of its own). */
  readonly announce?: boolean;
}

/** Who hears of a link's transfers. */
export interface LinkSink<T extends Transfer> {
  /** `t`'s first byte leaves now (its header arrives); its last will at `finish` (announced transfers only). */
  began(t: T, finish: number): void;
  /** `t`'s last byte arrived. */
  delivered(t: T): void;
}

/** The link's two events. */
const BEGAN = 0;
const DELIVERED = 1;

/**
 * A FIFO link at `rate` bytes per second.
 *
 * @example
 * ```ts
 * const link = new Link(agenda, 1024 * 1000, { began() {}, delivered(t) { console.log(t.size) } });
 * link.send({ size: 2048 }); // delivered 0.002 s later
 * ```
 */
export class Link<T extends Transfer = Transfer> implements Receiver {
  /** Bytes per second. */
  readonly rate: number;
  readonly #agenda: EventQueue;
  readonly #sink: LinkSink<T>;
  readonly #queue: T[] = [];
  #head = 0;
  /** The transfer under way, if any, and when it started and ends. */
  #current: T | undefined;
  #startedAt = 0;
  #finish = 0;
  #bytes = 0;
  #files = 0;
  #busyTime = 0;

  /**
   * @param agenda the simulator's event queue
   * @param rate bytes per second
   * @param sink hears when transfers begin and end
   */
  constructor(agenda: EventQueue, rate: number, sink: LinkSink<T>) {
    this.#agenda = agenda;
    this.rate = rate;
    this.#sink = sink;
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
  send(t: T): void {
    if (this.#current !== undefined) this.#queue.push(t);
    else this.#start(t);
  }

  /** The agenda's events: a transfer began, or ended. */
  take(code: number, _index: number, arg: unknown): void {
    if (code === BEGAN) {
      this.#sink.began(arg as T, this.#finish);
      return;
    }
    const t = this.#current!;
    this.#current = undefined;
    this.#bytes += t.size;
    this.#files++;
    this.#busyTime += this.#finish - this.#startedAt;
    // The next queued file goes first, so anything sent on delivery queues behind it.
    if (this.#head < this.#queue.length) {
      const next = this.#queue[this.#head]!;
      this.#queue[this.#head++] = undefined as unknown as T;
      if (this.#head === this.#queue.length) {
        this.#queue.length = 0;
        this.#head = 0;
      }
      this.#start(next);
    }
    this.#sink.delivered(t);
  }

  #start(t: T): void {
    const now = this.#agenda.now;
    const finish = Math.max(now + t.size / this.rate, t.readyAt ?? 0);
    this.#current = t;
    this.#startedAt = now;
    this.#finish = finish;
    if (t.announce) this.#agenda.post(now, this, BEGAN, 0, t);
    this.#agenda.post(finish, this, DELIVERED, 0, t);
  }
}
