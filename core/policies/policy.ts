/**
 * The decisions a caching policy makes, as pure objects that the live roles
 * and the simulator drive alike. The origin side decides what is pushed into
 * which cache and when; the cache side decides what a request gets and when
 * to ask for more; the client side decides what to fetch from where.
 *
 * @module
 */

import type { CacheStore } from "../cache/cache_store.ts";
import type { DemandLedger } from "../demand/demand_ledger.ts";
import type { Source } from "../run/scenario.ts";

/** Sources are the scenario's: the origin or a cache index (here for the policies' users). */
export { ORIGIN_SOURCE, type Source } from "../run/scenario.ts";

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
  /**
   * Whether a refill request from `cache` for `file` is granted (else it is
   * answered with a miss). A policy may record the grant (the caller pushes
   * every file it grants, once).
   */
  grant(cache: number, file: number): boolean;
  /** Per-client routes to send with the start (file → source), or undefined when clients route themselves. */
  routes(client: number): [number, Source][] | undefined;
  /**
   * How many of `file`'s outstanding requests travel with its push into
   * `cache` (the caller hands exactly these to the cache: `ledger.handOff(file,
   * cache, n)`, and sends `n` as the push's count). Optional: when absent, all
   * of the origin's outstanding requests for the file go (the seed behaviour).
   * 0 means the cache owns no demand (pull-through caches).
   */
  pushCount?(cache: number, file: number): number;
  /**
   * The files this policy will still push into `cache`, in order (a
   * restarted cache's clients fetch these from it again). Optional: without
   * it, a restarted cache's clients go back to it for their shard's files.
   */
  upcoming?(cache: number): number[];
}

/** A fetch a client wants to start now. */
export interface Fetch {
  readonly file: number;
  readonly source: Source;
}

/**
 * The sources a client must not ask now (a request outstanding there, or the
 * cache is down). A `Set` is one; the client engine passes a view of its own
 * state, so nothing is rebuilt per poll.
 */
export interface Busy {
  has(source: Source): boolean;
}

/** What `poll` returns when there is nothing to fetch (shared: polls are frequent). */
export const NO_FETCHES: readonly Fetch[] = Object.freeze([]);

/** Client-side decisions. */
export interface ClientPolicy {
  /** The fetches to start now; never one on a source that already has one outstanding. */
  poll(busy: Busy): readonly Fetch[];
  /** `file` arrived complete from `source`. */
  received(file: number, source: Source): void;
  /** `source` answered a miss for `file`. */
  missed(file: number, source: Source): void;
  /** Routes from the origin (file → source) override the client's own choice. */
  route(routes: readonly [number, Source][]): void;
  /**
   * `source` is gone (a cache died): its outstanding fetch was dropped, and
   * every file still meant to come from it comes from the origin instead.
   */
  lost(source: Source): void;
  /**
   * `source` is back (a restarted cache): `files` (this client's, in the
   * order that cache will get them) come from it again, not from the origin.
   */
  regain(source: Source, files: readonly number[]): void;
  /** True once every file has arrived. */
  readonly finished: boolean;
}

/**
 * What a client's request gets from a cache: `hit` (served now, streamed
 * while the bytes may still arrive), `wait` (parked until the file's push
 * begins or the origin declines it; then ask again) or `miss`.
 */
export type RequestOutcome = "hit" | "wait" | "miss";

/**
 * Cache-side decisions, over the cache's {@link CacheStore}. The driver calls
 * {@link CachePolicy.refill} after every other call and sends the origin a
 * request for the file it returns.
 */
export interface CachePolicy {
  /** The store of held files (its `onEvict` listener reports every eviction). */
  readonly store: CacheStore;
  /** Requests counted as hits so far. */
  readonly hits: number;
  /** Requests counted as misses so far. */
  readonly misses: number;
  /** A push from the origin begins (its header arrived): reserve its space. */
  pushed(file: number, size: number, count: number, next: number | null): void;
  /** The origin declined the refill of `file`; `next` is its new hint. */
  declined(file: number, next: number | null): void;
  /** The origin's hint of the file to ask for next, without a push (a restarted cache's start). */
  hinted(next: number | null): void;
  /**
   * Classifies a request of `client` (its index, when known) for `file`; a
   * `hit` begins a read that {@link CachePolicy.served} ends. `at`, when
   * known, is when the request was made in the model (live, it may arrive
   * after things that, in the model, came later).
   */
  request(file: number, client?: number, at?: number): RequestOutcome;
  /** A hit has been sent in full (or abandoned). Returns true when the file was evicted. */
  served(file: number): boolean;
  /** One request owed for `file` will never be made (its client is gone). */
  forgo(file: number): void;
  /**
   * A request that waits for `file` (of `client`, when known) will never be
   * asked again: its client left. Optional: a policy that keeps nothing for
   * a waiting request needs none.
   */
  abandon?(file: number, client?: number): void;
  /** The file to ask the origin for now (`now`: the driver's time), if any (marks it pending). */
  refill(now?: number): number | null;
}

/** What the origin policy may read. */
export interface OriginView {
  readonly ledger: DemandLedger;
  readonly caches: number;
  readonly capacity: number;
  readonly lists: readonly (readonly number[])[];
  size(file: number): number;
  /**
   * Whether some client will still ask `cache` for `file` (live runs: a
   * client that cannot reach a cache is served by the origin). Optional:
   * without it, every outstanding request will.
   */
  wanted?(cache: number, file: number): boolean;
}
