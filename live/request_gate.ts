/**
 * Holds a client's request at a live cache until the cache has seen what
 * comes before it in the model. A request is dated (`at`) when its client
 * decided it; the cache's own events are dated too — a push begins when the
 * origin's link frees — but a push's header reaches the cache behind the
 * bytes before it. A request that arrives first would be decided on a state
 * the model has not reached yet (a miss for the very file the cache asks for
 * at that instant). So a request waits while the cache expects, at or before
 * its `at`, the answer to a refill it asked for (no earlier than the ask and
 * the end of the push arriving): already due, so the wait is short. Nothing
 * waits on a request, and the stop releases everything.
 *
 * A hit ending on another connection frees room too, but waiting for it
 * would serialise the clients whenever the run lags behind the model (every
 * hit in flight is then due): only a connection's own hit is waited for, by
 * the engine, which answers a connection's requests in order.
 *
 * @module
 */

import type { CacheRequested } from "../engine/cache.ts";

/**
 * The requests held for the model's order, and what they wait for.
 *
 * @example
 * ```ts
 * const gate = new RequestGate();
 * gate.refillAsked(5, 100);
 * gate.admit({ type: "requested", conn: 1, file: 5, at: 120 }); // false: held
 * gate.pushBegan(5, 140);
 * gate.release(); // [that request]
 * ```
 */
export class RequestGate {
  /** Refills asked for and not answered: file → when asked. */
  readonly #refills = new Map<number, number>();
  /** When the push last begun ends on the origin's link. */
  #pushEnd = -Infinity;
  readonly #held: CacheRequested[] = [];
  #open = false;

  /** Requests held now. */
  get held(): number {
    return this.#held.length;
  }

  /** The cache asked the origin for `file` at `at`. */
  refillAsked(file: number, at: number): void {
    this.#refills.set(file, at);
  }

  /** The push of `file` began, to end at `end` (either answers its refill). */
  pushBegan(file: number, end: number | undefined): void {
    this.#refills.delete(file);
    if (end !== undefined) this.#pushEnd = Math.max(this.#pushEnd, end);
  }

  /** The origin declined the refill of `file`. */
  declined(file: number): void {
    this.#refills.delete(file);
  }

  /** From now on nothing is held (the cache stops). */
  open(): void {
    this.#open = true;
  }

  /**
   * Whether `r` may go to the engine now; if not, it is held (in order: a
   * request behind a held one of its connection is held too).
   */
  admit(r: CacheRequested): boolean {
    if (!this.#mustWait(r) && !this.#held.some((h) => h.conn === r.conn)) return true;
    this.#held.push(r);
    return false;
  }

  /** The held requests that may go now, in the order they came (removed from the gate). */
  release(): CacheRequested[] {
    const out: CacheRequested[] = [];
    for (let i = 0; i < this.#held.length;) {
      const r = this.#held[i]!;
      const blocked = this.#held.slice(0, i).some((h) => h.conn === r.conn);
      if (!blocked && !this.#mustWait(r)) {
        out.push(r);
        this.#held.splice(i, 1);
      } else i++;
    }
    return out;
  }

  /** Forgets what connection `conn` had held (it closed). */
  drop(conn: number): void {
    for (let i = this.#held.length - 1; i >= 0; i--) {
      if (this.#held[i]!.conn === conn) this.#held.splice(i, 1);
    }
  }

  #mustWait(r: CacheRequested): boolean {
    if (this.#open || r.at === undefined) return false;
    const at = r.at;
    for (const asked of this.#refills.values()) {
      if (Math.max(asked, this.#pushEnd) <= at) return true;
    }
    return false;
  }
}
