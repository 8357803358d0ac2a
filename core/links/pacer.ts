/**
 * Link shaping: a pacer that lets bytes onto a link no faster than its rate.
 *
 * A token bucket kept as a schedule: the pacer holds the time at which the
 * link becomes free. Sending `n` bytes reserves the slot `[free, free + n /
 * rate)` and waits for its start; {@link Pacer.finish} waits for the end of
 * the transfer. So a transfer of `S` bytes on an otherwise idle link ends
 * `S / rate` after it began, exactly as the simulator models a link. Within a
 * transfer the schedule holds: a sender that falls behind (a busy event loop,
 * a process the machine did not run for a while) sends at once until it is
 * back on it, as a link that kept draining its queue would have; between
 * transfers it may catch up by at most the slack (the bucket's depth), and an
 * idle link earns no credit. A transfer may be dated from the request that
 * caused it ({@link Pacer.begin}), so a request's round trip, which takes no
 * time in the model, costs none live either, nor does a stall of the machine
 * of up to the credit (1 s by default) between the request and the transfer.
 * Given a {@link LinkMeter}, it reports each transfer's shaped and taken time
 * (achieved against shaped, see core/links/link_meter.ts).
 *
 * @module
 */

import type { Clock } from "../run/clock.ts";
import type { LinkMeter } from "./link_meter.ts";
import { ForesightError } from "../../errors.ts";

/**
 * Who shapes a role's links: `"pacer"`, the role itself with a {@link Pacer}
 * per link (the default); `"none"`, nobody in the role, so the links must be
 * shaped outside it (e.g. by the kernel's traffic control, `bench/hosts.ts`).
 */
export type Shaping = "pacer" | "none";

/**
 * How far in the past a transfer's cause may lie and still date it (ms): a
 * stall of the machine up to this long between a request and its transfer
 * is made up, so the live run keeps the model's schedule (see {@link Pacer.begin}).
 */
export const CREDIT_MS = 1000;

/**
 * How far in the future a transfer's cause may lie (ms): a request dated from
 * the modelled end of a transfer whose bytes came early (at most one chunk's
 * slot, see {@link Pacer.take}).
 */
export const CREDIT_AHEAD_MS = 100;

/**
 * The pacer's time grain (ms): bytes whose slot begins no more than this
 * from now go out at once, so a sender wakes about once per slot at most (with
 * 64 KiB chunks a cache's link at scale 80 has a slot every 0.27 ms). Chosen
 * by measurement: `bench/tuning.ts` sweeps it (fidelity, CPU, memory).
 */
export const PACER_SLOT_MS = 0.5;

/**
 * Paces a byte stream at a fixed rate.
 *
 * @example
 * ```ts
 * const pacer = new Pacer(1_024_000, realClock); // 1000 KiB/s
 * const start = pacer.begin();
 * await pacer.take(65_536); // at once: its slot starts now
 * await pacer.take(65_536); // ~64 ms later
 * await pacer.finish(pacer.due(start, 131_072)); // ~128 ms after the start
 * ```
 */
export class Pacer {
  readonly #bytesPerMs: number;
  readonly #clock: Clock;
  readonly #slackMs: number;
  readonly #maxCreditMs: number;
  readonly #slotMs: number;
  #freeAt = -Infinity;
  #anchored = false;
  #bytes = 0;
  readonly #meter: LinkMeter | undefined;
  /** The transfer under way: where its slot began, how late that was, its bytes. */
  #transfer: { start: number; lateMs: number; bytes: number } | undefined;
  /** The last transfer's due end and how far past it its bytes went (for the meter). */
  #overrun = { due: 0, ms: 0 };

  /**
   * @param bytesPerSecond link rate; `Infinity` disables pacing
   * @param clock time source
   * @param slackMs how far behind schedule a sender may be between transfers and still catch up
   * @param maxCreditMs the most a transfer's cause may lie in the past (in the
   *   future: this or {@link CREDIT_AHEAD_MS}, whichever is less)
   * @param meter counts each transfer's shaped and taken time (see {@link finish})
   * @param slotMs the time grain: a slot that begins no later than this from now goes at once ({@link PACER_SLOT_MS})
   * @throws {ForesightError} CONFIG when the rate is not positive
   */
  constructor(
    bytesPerSecond: number,
    clock: Clock,
    slackMs = 20,
    maxCreditMs = CREDIT_MS,
    meter?: LinkMeter,
    slotMs: number = PACER_SLOT_MS,
  ) {
    if (!(bytesPerSecond > 0)) {
      throw new ForesightError(
        "CONFIG",
        `Cannot pace a link: rate ${bytesPerSecond} B/s is not positive`,
      );
    }
    this.#bytesPerMs = bytesPerSecond / 1000;
    this.#clock = clock;
    this.#slackMs = slackMs;
    this.#maxCreditMs = maxCreditMs;
    this.#meter = meter;
    this.#slotMs = slotMs;
  }

  /** The pacer's clock time. */
  now(): number {
    return this.#clock.now();
  }

  /** Bytes let through so far. */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * Starts a transfer and returns the time its first byte may go out. `cause`
   * is when the request that caused it was made (clock time): control
   * messages take no time in the model, so the transfer is scheduled from
   * then rather than from now, making up the request's trip and any stall of
   * the machine since (by at most `maxCreditMs`). Without a cause, the
   * transfer follows the link's schedule like any other bytes. A cause in the
   * future (a request dated from the modelled end of a transfer whose bytes
   * came early) starts the transfer then, at most {@link CREDIT_AHEAD_MS}
   * ahead. Call {@link take} for its bytes next.
   */
  begin(cause?: number): number {
    if (this.#bytesPerMs === Infinity) return this.#clock.now();
    const now = this.#clock.now();
    // When the model starts it: once the link is free, not before its cause.
    const wanted = cause === undefined ? undefined : Math.max(this.#freeAt, cause);
    const credit = this.#maxCreditMs;
    const ahead = Math.min(credit, CREDIT_AHEAD_MS);
    this.#freeAt = cause === undefined
      ? this.#startAt(now)
      : Math.max(this.#freeAt, Math.min(now + ahead, Math.max(cause, now - credit)));
    this.#anchored = true;
    const lateMs = wanted === undefined ? 0 : Math.max(0, this.#freeAt - wanted);
    this.#transfer = { start: this.#freeAt, lateMs, bytes: this.#bytes };
    // Begun on the schedule while the last transfer's late bytes still went out:
    // that overlap is counted once (see LinkMeter.absorb).
    const o = this.#overrun;
    if (o.ms > 0 && this.#meter) this.#meter.absorb(o.due + o.ms - Math.max(this.#freeAt, o.due));
    this.#overrun = { due: 0, ms: 0 };
    return this.#freeAt;
  }

  /** When `bytes` bytes from `start` will have gone out at this link's rate. */
  due(start: number, bytes: number): number {
    return start + bytes / this.#bytesPerMs;
  }

  #startAt(now: number): number {
    // Behind schedule by at most the slack: the link was busy, catch up.
    // Further behind: the link was idle, and idle time earns no credit.
    return now - this.#freeAt <= this.#slackMs ? Math.max(this.#freeAt, now - this.#slackMs) : now;
  }

  /**
   * Reserves the link for `n` more bytes and waits until their slot begins:
   * the bytes go out at the start of their slot, so a receiver holds them by
   * the slot's end despite the event loop's and the network's delays. Within
   * a transfer ({@link begin} to {@link finish}) each slot follows the last
   * however late the sender is: it sends at once until it is back on
   * schedule, so a stall costs the transfer nothing if the machine can catch
   * up before its end. Use {@link finish} to end the transfer.
   */
  async take(n: number): Promise<void> {
    const wait = this.reserve(n);
    if (wait > this.#slotMs) await this.#clock.sleep(wait);
  }

  /**
   * {@link take} without the wait: reserves the link for `n` more bytes and
   * returns how many ms are left until their slot begins (≤ {@link slotMs}: now). A
   * sender that may send them only then, and waits with {@link sleep}, sends
   * bytes whose slots have begun together without a promise apiece.
   */
  reserve(n: number): number {
    this.#bytes += n;
    if (this.#bytesPerMs === Infinity) return 0;
    const now = this.#clock.now();
    const start = this.#anchored || this.#transfer ? this.#freeAt : this.#startAt(now);
    this.#anchored = false;
    this.#freeAt = start + n / this.#bytesPerMs;
    return start - now;
  }

  /** The time grain: bytes whose slot begins no further than this ahead go at once. */
  get slotMs(): number {
    return this.#slotMs;
  }

  /** Resolves after `ms` on the pacer's clock (what {@link reserve} said to wait). */
  sleep(ms: number): Promise<void> {
    return this.#clock.sleep(ms);
  }

  /**
   * Ends a transfer that was due to end at `due` (see {@link begin}, {@link due}):
   * it ends then, or now if its last bytes went out later (they were not there
   * yet: a cache forwarding a file still arriving; or the sender was late),
   * as a fluid link would. The caller is busy until then; the link's
   * schedule is free from `due`, so a next transfer caused by then may start
   * there (within the credit, see {@link begin}) and make up the lateness.
   *
   * With a meter, the transfer counts `due - start` shaped and, taken, that
   * plus how far past `due` its last bytes went out — past `availableAt` when given:
   * when its last bytes arrived to be sent, so a cache does not count as its
   * own the time it waited for a late push; how late it started (its cause
   * further back than the credit) is counted apart.
   */
  async finish(due: number, availableAt?: number): Promise<void> {
    if (this.#bytesPerMs === Infinity) return;
    const now = this.#clock.now();
    const t = this.#transfer;
    if (t && this.#meter) {
      const shaped = due - t.start;
      const overrun = Math.max(0, now - Math.max(due, availableAt ?? -Infinity));
      this.#meter.record(this.#bytes - t.bytes, shaped, shaped + overrun, t.lateMs);
      this.#overrun = { due, ms: overrun };
    }
    this.#transfer = undefined;
    this.#freeAt = due;
    const wait = due - now;
    if (wait > 0.5) await this.#clock.sleep(wait);
  }
}
