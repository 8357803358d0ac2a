/**
 * The decisions a caching policy makes, as pure objects that the live roles
 * and the simulator drive alike. The origin side decides what is pushed into
 * which cache and when; the cache side decides when to ask for more; the
 * client side decides what to fetch from where.
 *
 * @module
 */

import type { DemandLedger } from "./demand_ledger.ts";

/** Where a client fetches a file: {@link ORIGIN_SOURCE} or a cache index. */
export type Source = number;
/** The origin as a source. */
export const ORIGIN_SOURCE: Source = -1;

/** A push of `file` into `cache`. */
export interface Push {
  readonly cache: number;
  readonly file: number;
}

/** Origin-side decisions. */
export interface OriginPolicy {
  /**
   * Every request list is in: which files to push into which cache before the
   * start, in order. The caller hands each pushed file's demand to its cache.
   */
  warmup(): Push[];
  /** The file `cache` should ask for next, or null when it needs nothing more. */
  hint(cache: number): number | null;
  /** Whether a refill request from `cache` for `file` is granted (else it is answered with a miss). */
  grant(cache: number, file: number): boolean;
  /** Per-client routes to send with the start (file → source), or undefined when clients route themselves. */
  routes(client: number): [number, Source][] | undefined;
}

/** A fetch a client wants to start now. */
export interface Fetch {
  readonly file: number;
  readonly source: Source;
}

/** Client-side decisions. */
export interface ClientPolicy {
  /** The fetches to start now; never one on a source that already has one outstanding. */
  poll(busy: ReadonlySet<Source>): Fetch[];
  /** `file` arrived complete from `source`. */
  received(file: number, source: Source): void;
  /** `source` answered a miss for `file`. */
  missed(file: number, source: Source): void;
  /** Routes from the origin (file → source) override the client's own choice. */
  route(routes: readonly [number, Source][]): void;
  /** True once every file has arrived. */
  readonly finished: boolean;
}

/** What the origin policy may read. */
export interface OriginView {
  readonly ledger: DemandLedger;
  readonly caches: number;
  readonly capacity: number;
  readonly lists: readonly (readonly number[])[];
  size(file: number): number;
}
