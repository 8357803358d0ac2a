/**
 * The shape every run report shares, live (`foresight run`) or simulated
 * (`foresight sim`), so that tools read either the same way.
 *
 * @module
 */

import type { Scenario } from "./scenario.ts";

/** One client's line of a report. */
export interface ClientReport {
  index: number;
  files: number;
  bytes: number;
  verified: number;
  corrupt: number;
  /** Simulated seconds from the start to its last file. */
  finishSimSeconds: number;
  hits: number;
  misses: number;
  fromOrigin: number;
  ok: boolean;
  /** Its list's length, when it is not the scenario's `requests` (a demand file's list). */
  requested?: number;
  /** Files the origin refused (changed on disk since it listed them): failed, not corrupt. */
  failed?: number;
  /** Files already verified in its `--out` at the start, not fetched. */
  skipped?: number;
  /** Files whose copy came wrong and were fetched again from the origin, verified. */
  refetched?: number;
}

/** One cache's line of a report. */
export interface CacheReport {
  index: number;
  capacityBytes: number;
  peakBytes: number;
  hits: number;
  misses: number;
  pushedFiles: number;
  pushedBytes: number;
  evicted: number;
  ok: boolean;
}

/** What every report holds. */
export interface ReportBase {
  scenario: Scenario;
  ok: boolean;
  /** Wall seconds the run (or the simulation) took. */
  wallSeconds: number;
  /** The makespan: simulated seconds until the last client holds all its files. */
  simSeconds: number;
  /** Requests the caches counted as hits, over all requests. */
  hitRatio: number;
  /** Bytes clients got from caches, over all bytes clients got. */
  byteHitRatio: number;
  /** Bytes carried by each kind of link. */
  links: { originToCache: number; originToClient: number; cacheToClient: number };
  clients: ClientReport[];
  caches: CacheReport[];
  errors: string[];
}

/** Bytes as MiB with one decimal. */
export function mib(bytes: number): string {
  return (bytes / 1_048_576).toFixed(1);
}

/** The report line of bytes per kind of link. */
export function linksLine(r: ReportBase): string {
  return `  links: origin→cache ${mib(r.links.originToCache)} MiB, origin→client ${
    mib(r.links.originToClient)
  } MiB, cache→client ${mib(r.links.cacheToClient)} MiB`;
}

/**
 * The report's cache table: a header line, then a line per cache.
 *
 * @example
 * ```ts
 * console.log([linksLine(report), ...cacheTable(report)].join("\n"));
 * ```
 */
export function cacheTable(r: ReportBase): string[] {
  return [
    `  cache  capacity MiB  peak MiB  hits  misses  pushed files  evicted`,
    ...r.caches.map((c) =>
      `  ${String(c.index).padStart(5)}  ${mib(c.capacityBytes).padStart(12)}  ${
        mib(c.peakBytes).padStart(8)
      }  ${String(c.hits).padStart(4)}  ${String(c.misses).padStart(6)}  ${
        String(c.pushedFiles).padStart(12)
      }  ${String(c.evicted).padStart(7)}`
    ),
  ];
}
