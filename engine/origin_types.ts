/**
 * The origin engine's inputs, effects and summary.
 *
 * @module
 */

import type { DemandLedger } from "../core/demand/demand_ledger.ts";
import type { ControlMessage } from "../protocol/mod.ts";
import type { RunPhase } from "../protocol/role_event.ts";
import type { CommonEffect } from "./effect.ts";

export type { RunPhase } from "../protocol/role_event.ts";

/** A cache or a client, as the origin knows it. */
export interface Party {
  readonly role: "cache" | "client";
  readonly index: number;
}

/** What happened, as the origin engine takes it. */
export type OriginInput =
  /** A cache or client asks for a place (`index`: the one it asks for); a cache says where clients reach it. */
  | {
    readonly type: "join";
    readonly role: "cache" | "client";
    readonly index?: number | undefined;
    readonly host?: string;
    readonly port?: number;
  }
  /** A client's request list. */
  | { readonly type: "list"; readonly client: number; readonly files: readonly number[] }
  /** A cache echoed the start: its warm-up pushes all arrived. */
  | { readonly type: "warm"; readonly cache: number }
  /** A cache asks for `file` (a refill); `at`: when it decided to. */
  | { readonly type: "refill"; readonly cache: number; readonly file: number; readonly at?: number }
  /** A client asks the origin for `file`; `at`: when it decided to. */
  | {
    readonly type: "request";
    readonly client: number;
    readonly file: number;
    readonly at?: number;
  }
  /** A client cannot reach cache `cache` (of `generation`) any more. */
  | {
    readonly type: "link-lost";
    readonly client: number;
    readonly cache: number;
    readonly generation: number;
  }
  /** A client holds every file. */
  | { readonly type: "done"; readonly client: number }
  /** The cache of `generation` in place `cache` is gone (its connection broke). */
  | {
    readonly type: "cache-lost";
    readonly cache: number;
    readonly generation: number;
    readonly reason: string;
  }
  /** A client is gone (its connection broke). */
  | { readonly type: "client-lost"; readonly client: number; readonly reason: string }
  /** The run cannot go on (aborted, or a driver failure). */
  | { readonly type: "fail"; readonly reason: string };

/** What the driver must now do for the origin. */
export type OriginEffect =
  | CommonEffect
  /** `role` got place `index` (of `generation`): bind its connection to it. First effect of a `join`. */
  | {
    readonly kind: "admit";
    readonly role: "cache" | "client";
    readonly index: number;
    readonly generation: number;
  }
  /** Send `message` to `to` (after everything sent to it before). */
  | { readonly kind: "send"; readonly to: Party; readonly message: ControlMessage }
  /**
   * Send `file` to `to` on its link: the header `{file, size, count, next}`,
   * then the bytes; `cause`: when the request for it was decided.
   */
  | {
    readonly kind: "transfer";
    readonly to: Party;
    readonly file: number;
    readonly size: number;
    readonly count: number;
    readonly next: number | null;
    readonly cause?: number | undefined;
  }
  /** The run is over: tell every peer to stop, with `reason`. */
  | { readonly kind: "stop"; readonly reason: string };

/** A cache or client the origin lost: which, in what phase of the run, and why. */
export interface LostRole {
  role: "cache" | "client";
  index: number;
  phase: RunPhase;
  reason: string;
}

/** What the origin reports when it ends. */
export interface OriginSummary {
  ok: boolean;
  error?: string;
  bytesToCaches: number;
  bytesToClients: number;
  filesToCaches: number;
  filesToClients: number;
  /** Direct requests for files nobody listed (served anyway). */
  ownerRaces: number;
  /** Direct requests sent back to the cache that had just taken the file's demand. */
  redirects: number;
  /**
   * Direct requests that arrived after the push that carried them but were
   * made before it (the model's time): served directly, the cache told to
   * forgo them, as in the model.
   */
  servedBeforePush: number;
  /** Caches lost, in any phase (their files then came from the origin). */
  lostCaches: number;
  /** Files served directly whose demand a lost cache had held. */
  servedForLostCaches: number;
  /** Clients lost, in any phase (their demand was released). */
  lostClients: number;
  /** Caches that came back mid-run (a lost place taken again). */
  rejoinedCaches: number;
  /** Client–cache connections lost while the cache lived on (that client's demand there was released). */
  cutLinks: number;
  /** Every cache and client lost, in order: which, in what phase of the run, and why. */
  lost: LostRole[];
  ledger: ReturnType<DemandLedger["totals"]>;
}
