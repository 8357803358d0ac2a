/**
 * What the client engine knows during a run: the cache places (who holds
 * each, and whether this client can use it), the requests outstanding, the
 * counters. Shared by the engine (engine/client.ts) and what it does when a
 * cache is lost or comes back (engine/client_faults.ts).
 *
 * @module
 */

import type { LogFields, LogLevel } from "../core/run/log.ts";
import type { ClientPolicy } from "../core/policies/policy.ts";
import { SourceMap } from "../core/collections/source_map.ts";
import type { ClientCounters, ClientEffect, RejoinInput } from "./client_io.ts";

/** A cache place: who holds it (`generation`) and whether this client can use it. */
export interface Place {
  generation: number;
  /** `up`: connected; `joining`: a `join` is under way; `down`: lost. */
  state: "up" | "joining" | "down";
}

/** A request sent and not yet answered, and the transfer answering it once it began. */
export interface Outstanding {
  readonly file: number;
  /** When it was asked (the model's time). */
  readonly at: number;
  /** The answer began: a file is being sent (its fields below; kept flat, one object per request). */
  began: boolean;
  /** The transfer's end as the sender dated it, once it began. */
  due: number | undefined;
}

/** The client engine's state. */
export interface ClientState {
  /** Decides what to fetch from where. */
  readonly policy: ClientPolicy;
  /** Every cache place, by index. */
  readonly places: Place[];
  /** The request outstanding on each source. */
  readonly outstanding: SourceMap<Outstanding>;
  /** `rejoin`s that came before the start, handled at the start in order. */
  readonly early: RejoinInput[];
  readonly counters: ClientCounters;
  /** `started` was handled. */
  started: boolean;
  /** Every file is in. */
  finished: boolean;
}

/**
 * A fresh state: every place up under generation 0, nothing asked, nothing counted.
 *
 * @param policy the policy the engine drives
 * @param caches the number of cache places
 * @example
 * ```ts
 * const st = clientState(makeClientPolicy(scenario, list), scenario.caches);
 * ```
 */
export function clientState(policy: ClientPolicy, caches: number): ClientState {
  return {
    policy,
    places: Array.from({ length: caches }, () => ({ generation: 0, state: "up" })),
    outstanding: new SourceMap(),
    early: [],
    counters: {
      files: 0,
      verified: 0,
      corrupt: 0,
      hits: 0,
      misses: 0,
      fromOrigin: 0,
      lostSources: 0,
      regainedSources: 0,
    },
    started: false,
    finished: false,
  };
}

/**
 * Queues a log record among the effects `out`.
 *
 * @example
 * ```ts
 * log(out, "warn", "cache lost", { cache: 1 });
 * ```
 */
export function log(
  out: ClientEffect[],
  level: LogLevel,
  message: string,
  fields?: LogFields,
): void {
  out.push({ kind: "log", level, message, fields });
}
