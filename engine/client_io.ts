/**
 * What a {@link ClientEngine} takes and what it asks its driver to do: one
 * discriminated union of inputs (on `type`) and one of effects (on `kind`).
 *
 * Sources are {@link Source}s: {@link ORIGIN_SOURCE} or a cache place's
 * index. A cache place is held by one cache at a time; `generation` counts
 * the caches that held it before (0 for the first; the origin numbers them).
 *
 * @module
 */

import type { Source } from "../core/policies/policy.ts";
import type { CommonEffect } from "./effect.ts";

/**
 * How the driver found a cache place at the start: `joined` (connected),
 * `absent` (the origin's list left it out: lost already, the origin knows) or
 * `unjoinable` (listed, but it could not be joined: the origin must be told).
 */
export interface StartPlace {
  readonly cache: Source;
  readonly generation: number;
  readonly state: "joined" | "absent" | "unjoinable";
}

/** The origin's plan (file → source), before the start; the last one of a kind wins as the policy says. */
export interface PlannedInput {
  readonly type: "planned";
  readonly routes: readonly [number, Source][];
}
/**
 * The origin said start. `routes`: a plan, as if `planned` came first.
 * `places`: every cache place as the driver found it (a place not listed:
 * joined, generation 0).
 */
export interface StartedInput {
  readonly type: "started";
  readonly routes?: readonly [number, Source][];
  readonly places?: readonly StartPlace[];
}
/** A source began sending `file` (`hit` from a cache, `file` from the origin); `due`: when the sender's model ends it. */
export interface FileBeganInput {
  readonly type: "fileBegan";
  readonly source: Source;
  readonly file: number;
  readonly size: number;
  readonly kind: "hit" | "file";
  readonly due?: number;
}
/** Every byte of `file` from `source` is in; `ok`: every byte verified. */
export interface FileEndedInput {
  readonly type: "fileEnded";
  readonly source: Source;
  readonly file: number;
  readonly ok: boolean;
}
/**
 * A whole file from `source` at once: its header and its last byte together
 * (the simulator's transfers, which end when they are delivered). The same
 * as `fileBegan` then `fileEnded`.
 */
export interface FileInput {
  readonly type: "file";
  readonly source: Source;
  readonly file: number;
  readonly size: number;
  readonly kind: "hit" | "file";
  readonly due?: number;
  readonly ok: boolean;
}
/** `source` answered a miss for `file`. */
export interface MissedInput {
  readonly type: "missed";
  readonly source: Source;
  readonly file: number;
}
/**
 * The connection to cache place `source` broke (or it sent what it must
 * not); `generation`, when given, names the cache whose connection it was (a
 * lost one of an older generation changes nothing).
 */
export interface SourceLostInput {
  readonly type: "sourceLost";
  readonly source: Source;
  readonly reason: string;
  readonly generation?: number;
}
/** The origin says a cache took place `cache` (`generation`); `files` come from it again, in order. */
export interface RejoinInput {
  readonly type: "rejoin";
  readonly cache: Source;
  readonly generation: number;
  readonly host: string;
  readonly port: number;
  readonly files: readonly number[];
}
/** The connection a `join` effect asked for is up (handshake done). */
export interface JoinedInput {
  readonly type: "joined";
  readonly cache: Source;
  readonly generation: number;
}
/** The connection a `join` effect asked for could not be made. */
export interface JoinFailedInput {
  readonly type: "joinFailed";
  readonly cache: Source;
  readonly generation: number;
  readonly reason: string;
}
/** The origin said stop, for `reason`. */
export interface StopInput {
  readonly type: "stop";
  readonly reason: string;
}

/** Everything a {@link ClientEngine} handles. */
export type ClientInput =
  | PlannedInput
  | StartedInput
  | FileBeganInput
  | FileEndedInput
  | FileInput
  | MissedInput
  | SourceLostInput
  | RejoinInput
  | JoinedInput
  | JoinFailedInput
  | StopInput;

/** Send `source` a request for `file`; `at`: when, in the model, it is asked. */
export interface RequestEffect {
  readonly kind: "request";
  readonly source: Source;
  readonly file: number;
  readonly at: number;
}
/** Tell the origin this client cannot reach the cache of `generation` in place `cache` (a `lost`). */
export interface TellLostEffect {
  readonly kind: "tellLost";
  readonly cache: Source;
  readonly generation: number;
}
/** Connect to the cache at host:port and join it; then hand in `joined` or `joinFailed`. */
export interface JoinEffect {
  readonly kind: "join";
  readonly cache: Source;
  readonly generation: number;
  readonly host: string;
  readonly port: number;
}
/** The connection just joined (see `joined`) serves place `cache` from now: read from it. */
export interface AdoptEffect {
  readonly kind: "adopt";
  readonly cache: Source;
  readonly generation: number;
}
/**
 * Close the connection to the cache of `generation` in place `source` (the
 * serving one, or one just joined that is not wanted); a partial file from
 * it is discarded.
 */
export interface DropEffect {
  readonly kind: "drop";
  readonly source: Source;
  readonly generation: number;
}
/** Every file is in (once): tell the origin `done`. */
export interface FinishedEffect {
  readonly kind: "finished";
}

/** What a {@link ClientEngine} asks its driver to do, in order. */
export type ClientEffect =
  | CommonEffect
  | RequestEffect
  | TellLostEffect
  | JoinEffect
  | AdoptEffect
  | DropEffect
  | FinishedEffect;

/** The engine's counters (see `ClientSummary` for their meaning). */
export interface ClientCounters {
  /** Files complete (verified or not). */
  files: number;
  verified: number;
  corrupt: number;
  /** Files served by a cache. */
  hits: number;
  /** Misses answered by a cache. */
  misses: number;
  /** Files served by the origin. */
  fromOrigin: number;
  /** Caches lost (at the start or during the run). */
  lostSources: number;
  /** Caches that came back and served this client again. */
  regainedSources: number;
}
