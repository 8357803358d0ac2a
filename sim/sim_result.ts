/**
 * What a simulated run yields: per-client, per-cache and per-link figures.
 *
 * @module
 */

import type { DemandLedger } from "../core/demand/demand_ledger.ts";
import type { Scenario } from "../core/run/scenario.ts";

/** One client's figures. */
export interface SimClient {
  index: number;
  /** Files in its list. */
  requested: number;
  files: number;
  bytes: number;
  /** Seconds from the start to its last file. */
  finishSeconds: number;
  /** Files a cache sent it (as the live client counts: every `hit`; the caches' own counts are per cache). */
  hits: number;
  /** Misses a cache answered it. */
  misses: number;
  /** Files received from the origin. */
  fromOrigin: number;
}

/** One cache's figures. */
export interface SimCache {
  index: number;
  capacityBytes: number;
  peakBytes: number;
  hits: number;
  misses: number;
  /** Pushes received (warm-up included). */
  pushedFiles: number;
  pushedBytes: number;
  evicted: number;
  bytesToClients: number;
  /** Files still held at the end. */
  heldAtEnd: number;
}

/** What {@link simulate} returns. */
export interface SimResult {
  scenario: Scenario;
  /** Seconds from the start until the last client holds all its files. */
  makespan: number;
  /** Simulation steps taken. */
  steps: number;
  /** Bytes carried by each kind of link (warm-up included in originToCache). */
  links: { originToCache: number; originToClient: number; cacheToClient: number };
  warmup: { files: number; bytes: number };
  clients: SimClient[];
  caches: SimCache[];
  ledger: ReturnType<DemandLedger["totals"]>;
  /** Direct requests for files the origin owed nobody (served anyway, as live). */
  ownerRaces: number;
  /** Direct requests sent back to the cache that had just taken the file's demand (as live). */
  redirects: number;
}
