/**
 * What a cache engine (engine/cache.ts) is fed, and what it asks its driver
 * to do: two discriminated unions, on `type` and on `kind`.
 *
 * @module
 */

import type { Scenario } from "../core/run/scenario.ts";
import type { RequestMessage, StartMessage } from "../protocol/control_message.ts";
import type { CommonEffect } from "./effect.ts";

/** The origin welcomed this cache: the run's scenario and this cache's index. */
export interface CacheRegistered {
  readonly type: "registered";
  readonly index: number;
  readonly scenario: Scenario;
  /** The port clients reach this cache on (reported with `registered`). */
  readonly port: number;
  /** Every client's request list (default: the scenario's, as clients derive them). */
  readonly lists?: readonly (readonly number[])[];
  /** A file's size in bytes (default: file n is n KiB). */
  readonly size?: (file: number) => number;
}
/** The header of a push arrived: `file` owing `count` requests, the origin's next hint. */
export interface CachePushBegan {
  readonly type: "pushBegan";
  readonly file: number;
  readonly size: number;
  readonly count: number;
  readonly next: number | null;
  /** When the push began on the origin's link (a request it wakes is answered no earlier). */
  readonly began: number;
}
/** The origin declined the refill of `file` (its miss); `next` is its new hint. */
export interface CacheDeclined {
  readonly type: "declined";
  readonly file: number;
  readonly next: number | null;
}
/** The origin's start: the warm-up is over (`next`: a first hint, for a cache joining mid-run). */
export interface CacheStarted {
  readonly type: "started";
  readonly next?: number | null;
}
/** `client` will not fetch `files` here (gone, or cut off from this cache). */
export interface CacheReleased {
  readonly type: "released";
  readonly client: number;
  readonly files: readonly number[];
}
/** A request on connection `conn` (of client `client`, when known), decided at `at`. */
export interface CacheRequested {
  readonly type: "requested";
  readonly conn: number;
  readonly client?: number;
  readonly file: number;
  readonly at?: number;
}
/**
 * A hit on `conn` was sent in full, or abandoned. `due`: when its transfer
 * was due to end on the shaped link (the driver's time); the eviction and
 * refill it allows are dated then, as the model has them.
 */
export interface CacheServed {
  readonly type: "served";
  readonly conn: number;
  readonly file: number;
  readonly due?: number;
}
/** Connection `conn` is gone: drop its parked and queued requests. */
export interface CacheConnClosed {
  readonly type: "connClosed";
  readonly conn: number;
}
/** The run is over (the origin said stop, or the cache gave up). */
export interface CacheStopped {
  readonly type: "stopped";
}

/** What a cache engine is fed. */
export type CacheInput =
  | CacheRegistered
  | CachePushBegan
  | CacheDeclined
  | CacheStarted
  | CacheReleased
  | CacheRequested
  | CacheServed
  | CacheConnClosed
  | CacheStopped;

/** Send the origin a refill request, or the echo of its start. */
export interface ToOriginEffect {
  readonly kind: "toOrigin";
  readonly message: RequestMessage | StartMessage;
}
/** Stream `file` on `conn`; then feed `served`. `at`: when the answer was decided, if known. */
export interface HitEffect {
  readonly kind: "hit";
  readonly conn: number;
  readonly file: number;
  readonly at?: number;
}
/** Answer `conn`'s request for `file` with a miss. */
export interface MissEffect {
  readonly kind: "miss";
  readonly conn: number;
  readonly file: number;
  readonly at?: number;
}
/** `file` left the cache: free its bytes. */
export interface EvictEffect {
  readonly kind: "evict";
  readonly file: number;
}

/** What a cache engine asks its driver to do. */
export type CacheEffect = CommonEffect | ToOriginEffect | HitEffect | MissEffect | EvictEffect;
