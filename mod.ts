/**
 * Foresight: a demand-aware cache hierarchy over TCP for Node, Deno and Bun.
 *
 * Clients announce their whole request list up front; the origin keeps the
 * outstanding demand of every file, pushes files into caches before they are
 * asked for, each with its remaining request count, and a cache evicts a file
 * when its count reaches zero.
 *
 * @example
 * ```ts
 * import { CANONICAL, loadAdapter, runOrigin, silentLogger } from "@foresight/cache";
 * const adapter = await loadAdapter();
 * const summary = await runOrigin({ scenario: { ...CANONICAL, files: 300, requests: 60 }, adapter, log: silentLogger, listen: { host: "127.0.0.1", port: 9000 } });
 * ```
 *
 * @module
 */

export { ErrorCode, ForesightError, isForesightError } from "./errors.ts";
export type {
  Address,
  Conn,
  ConnectOptions,
  Listener,
  NetAdapter,
  RuntimeName,
} from "./net/types.ts";
export { detectRuntime, loadAdapter } from "./net/select.ts";
export * from "./protocol/mod.ts";
export { type Clock, ManualClock, realClock } from "./core/run/clock.ts";
export { Pacer } from "./core/links/pacer.ts";
export { FileSource, POOL_BYTES } from "./core/files/virtual_files.ts";
export type { FileStore, StoredFile } from "./core/files/file_store.ts";
export { SyntheticStore } from "./core/files/synthetic_store.ts";
export { checkFileName, fileNameProblem } from "./core/files/file_name.ts";
export { type DemandCatalogue, parseDemand } from "./core/demand/demand.ts";
export { hashParts, type Sha256, toHex, webSha256 } from "./core/files/sha256.ts";
export { DirStore, type DirStoreOptions, type Refusal } from "./store/dir_store.ts";
export { nodeSha256 } from "./store/node_sha256.ts";
export { callbackSink, type FileSink, type SinkWriter } from "./core/files/file_sink.ts";
export { DirSink } from "./store/dir_sink.ts";
export { Catalogue } from "./core/files/catalogue.ts";
export { DemandLedger, ORIGIN_OWNER } from "./core/demand/demand_ledger.ts";
export { type CacheEntry, CacheStore } from "./core/cache/cache_store.ts";
export { CountedCache, type RequestOutcome } from "./core/policies/counted_cache.ts";
export { FileBuffer } from "./core/cache/file_buffer.ts";
export type {
  ClientPolicy,
  Fetch,
  OriginPolicy,
  OriginView,
  Push,
  Source,
} from "./core/policies/policy.ts";
export { ORIGIN_SOURCE } from "./core/policies/policy.ts";
export { NoCacheOrigin, SeedOrigin, SequentialClient } from "./core/policies/seed_policy.ts";
export { makeClientPolicy, makeOriginPolicy } from "./core/policies/policy_registry.ts";
export {
  CANONICAL,
  checkScenario,
  DEFAULT_SCALE,
  POLICIES,
  type PolicyName,
  requestList,
  type Scenario,
  shardOf,
  wireRate,
} from "./core/run/scenario.ts";
export { type LogFields, type Logger, type LogLevel, silentLogger } from "./core/run/log.ts";
export {
  type CacheEffect,
  CacheEngine,
  type CacheInput,
  type ClientEffect,
  ClientEngine,
  type ClientInput,
  type OriginEffect,
  OriginEngine,
  type OriginInput,
} from "./engine/mod.ts";
export {
  type LiveOriginSummary,
  type OriginOptions,
  type OriginSummary,
  runOrigin,
} from "./live/origin.ts";
export { type CacheOptions, type CacheSummary, runCache } from "./live/cache.ts";
export { type ClientOptions, type ClientSummary, runClient } from "./live/client.ts";
export type { CacheReport, ClientReport, ReportBase } from "./core/run/report_shape.ts";
export type { FileAccess, Phase, RoleView } from "./core/run/role_view.ts";
export { simulate } from "./sim/simulator.ts";
export type { SimResult } from "./sim/sim_result.ts";
export { scenarioBound } from "./sim/lower_bound.ts";
export { adminApp, type AdminOptions, serve } from "./admin/mod.ts";
