/**
 * Achieved against shaped: how close the links of one class came to the rate
 * their pacers were set to, counted only while they had work.
 *
 * A {@link Pacer} given a meter reports every transfer it carries: the time the
 * shaped link would have taken (from the transfer's start to its due end, as
 * the simulator models it) and the time it took (from its start to when its
 * last byte was written, or its due end if that is later). A link idle for
 * lack of work adds nothing to either, so idling never counts as falling
 * short; a sender starved of CPU or a receiver slow to read makes the taken
 * time longer. `shapedMs / takenMs` is the achieved share of the shaped rate
 * while the links were busy.
 *
 * How much later than its cause a transfer started, beyond the pacer's credit
 * (a request that arrived late), is summed apart in `lateStartMs` and not in
 * the share: a client's next request is dated from its previous transfer's
 * due end, so one late transfer would count again on every link after it.
 *
 * @module
 */

/** What a meter counted: a JSON-safe snapshot (a role's stats and summary carry it). */
export interface LinkShaping {
  /** Transfers finished. */
  transfers: number;
  /** Their payload bytes. */
  bytes: number;
  /** The time the shaped links would have taken for them (ms of wall time). */
  shapedMs: number;
  /** The time they took (ms of wall time), never less than {@link shapedMs}. */
  takenMs: number;
  /** How much later than their causes they started, beyond the pacer's credit (ms; not in the share). */
  lateStartMs: number;
}

/**
 * Sums what the pacers of one link class carried (see the module doc).
 *
 * @example
 * ```ts
 * const meter = new LinkMeter();
 * meter.record(65_536, 64, 80); // a 64 KiB transfer due in 64 ms took 80
 * meter.snapshot(); // { transfers: 1, bytes: 65536, shapedMs: 64, takenMs: 80, lateStartMs: 0 }
 * achievedShare(meter.snapshot()); // 0.8
 * ```
 */
export class LinkMeter {
  #transfers = 0;
  #bytes = 0;
  #shapedMs = 0;
  #takenMs = 0;
  #lateStartMs = 0;

  /**
   * Counts one finished transfer of `bytes` that the shaped link would have
   * carried in `shapedMs` and that took `takenMs` (at least `shapedMs`: a
   * transfer never ends before its due end), started `lateStartMs` late.
   */
  record(bytes: number, shapedMs: number, takenMs: number, lateStartMs = 0): void {
    this.#transfers++;
    this.#bytes += bytes;
    this.#shapedMs += Math.max(0, shapedMs);
    this.#takenMs += Math.max(0, shapedMs, takenMs);
    this.#lateStartMs += Math.max(0, lateStartMs);
  }

  /**
   * Takes back `ms` of a transfer's overrun that the next transfer on the same
   * link made up: it began on the link's schedule (at the late one's due end)
   * while the late bytes were still going out, and the pacer caught up, so the
   * overlap is one stretch of the link's time, not two.
   */
  absorb(ms: number): void {
    this.#takenMs = Math.max(this.#shapedMs, this.#takenMs - Math.max(0, ms));
  }

  /** What was counted so far. */
  snapshot(): LinkShaping {
    return {
      transfers: this.#transfers,
      bytes: this.#bytes,
      shapedMs: round(this.#shapedMs),
      takenMs: round(this.#takenMs),
      lateStartMs: round(this.#lateStartMs),
    };
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/**
 * Sums snapshots (e.g. every cache's cache→client links).
 *
 * @example
 * ```ts
 * addShaping([
 *   { transfers: 1, bytes: 10, shapedMs: 5, takenMs: 5, lateStartMs: 0 },
 *   { transfers: 2, bytes: 20, shapedMs: 10, takenMs: 20, lateStartMs: 3 },
 * ]); // { transfers: 3, bytes: 30, shapedMs: 15, takenMs: 25, lateStartMs: 3 }
 * ```
 */
export function addShaping(parts: readonly LinkShaping[]): LinkShaping {
  const sum: LinkShaping = { transfers: 0, bytes: 0, shapedMs: 0, takenMs: 0, lateStartMs: 0 };
  for (const p of parts) {
    sum.transfers += p.transfers;
    sum.bytes += p.bytes;
    sum.shapedMs += p.shapedMs;
    sum.takenMs += p.takenMs;
    sum.lateStartMs += p.lateStartMs;
  }
  return sum;
}

/**
 * The share of the shaped rate achieved while busy: `shapedMs / takenMs`, 1
 * when nothing was carried.
 *
 * @example
 * ```ts
 * achievedShare({ transfers: 4, bytes: 4096, shapedMs: 61, takenMs: 100, lateStartMs: 0 }); // 0.61
 * ```
 */
export function achievedShare(s: LinkShaping): number {
  return s.takenMs > 0 ? Math.min(1, s.shapedMs / s.takenMs) : 1;
}

/**
 * Reads a snapshot from untyped JSON (a role's stats or summary), or
 * undefined when `x` is not one (`lateStartMs` may be missing: 0).
 *
 * @example
 * ```ts
 * shapingFrom({ transfers: 1, bytes: 2, shapedMs: 3, takenMs: 4 }); // the same, lateStartMs 0
 * shapingFrom("nope"); // undefined
 * ```
 */
export function shapingFrom(x: unknown): LinkShaping | undefined {
  if (typeof x !== "object" || x === null) return undefined;
  const o = x as Record<string, unknown>;
  const keys = ["transfers", "bytes", "shapedMs", "takenMs"] as const;
  if (!keys.every((k) => typeof o[k] === "number" && Number.isFinite(o[k]))) return undefined;
  return {
    transfers: o.transfers as number,
    bytes: o.bytes as number,
    shapedMs: o.shapedMs as number,
    takenMs: o.takenMs as number,
    lateStartMs: typeof o.lateStartMs === "number" && Number.isFinite(o.lateStartMs)
      ? o.lateStartMs
      : 0,
  };
}
