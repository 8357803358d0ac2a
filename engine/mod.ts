/**
 * The engines: the origin, a cache and a client as deterministic state
 * machines with no I/O (see engine/effect.ts). The simulator (sim/) and the
 * live roles (live/) are two drivers over these same engines.
 *
 * @example
 * ```ts
 * import { OriginEngine } from "./mod.ts";
 * const origin = new OriginEngine(scenario, (f) => f * 1024);
 * const effects = origin.handle({ type: "join", role: "client" }, 0);
 * ```
 *
 * @module
 */

export type { CommonEffect, LogEffect, ReportEffect } from "./effect.ts";
export {
  type LostRole,
  type OriginEffect,
  OriginEngine,
  type OriginInput,
  type OriginSummary,
  type Party,
} from "./origin.ts";
export { type CacheEffect, CacheEngine, type CacheInput } from "./cache.ts";
export {
  type ClientCounters,
  type ClientEffect,
  ClientEngine,
  type ClientEngineOptions,
  type ClientInput,
} from "./client.ts";
