/**
 * The report of a simulated run: the shape of `foresight run`'s report
 * (report/run_report.ts RunReport) plus the lower bound, and its readable text.
 *
 * @module
 */

import { boundMethod, type LowerBound } from "./lower_bound.ts";
import type { SimResult } from "./simulator.ts";
import { cacheTable, linksLine, mib, type ReportBase } from "../core/run/report_shape.ts";

/** A simulated run's report; a RunReport with `lowerBound`, `steps` and no processes. */
export interface SimReport extends ReportBase {
  processes: never[];
  /** The bounds, and the makespan's ratio to each. */
  lowerBound: LowerBound & { ratio: number; sequentialRatio: number };
  /** Simulation steps taken. */
  steps: number;
}

/**
 * Builds the report of a simulated run.
 *
 * @example
 * ```ts
 * const report = simReport(simulate(s), scenarioBound(s), 0.05);
 * ```
 */
export function simReport(result: SimResult, bound: LowerBound, wallSeconds: number): SimReport {
  const files = result.clients.reduce((a, c) => a + c.files, 0);
  const bytes = result.clients.reduce((a, c) => a + c.bytes, 0);
  // As the caches counted them (a pull-through fetch for a request is a miss).
  const hits = result.caches.reduce((a, c) => a + c.hits, 0);
  const clients = result.clients.map((c) => ({
    index: c.index,
    files: c.files,
    bytes: c.bytes,
    verified: c.files,
    corrupt: 0,
    finishSimSeconds: c.finishSeconds,
    hits: c.hits,
    misses: c.misses,
    fromOrigin: c.fromOrigin,
    ok: c.files === c.requested,
  }));
  const caches = result.caches.map((c) => ({
    index: c.index,
    capacityBytes: c.capacityBytes,
    peakBytes: c.peakBytes,
    hits: c.hits,
    misses: c.misses,
    pushedFiles: c.pushedFiles,
    pushedBytes: c.pushedBytes,
    evicted: c.evicted,
    ok: c.peakBytes <= c.capacityBytes,
  }));
  const ratio = (t: number) => (t > 0 ? result.makespan / t : result.makespan > 0 ? Infinity : 1);
  return {
    scenario: result.scenario,
    ok: clients.every((c) => c.ok) && caches.every((c) => c.ok),
    wallSeconds,
    simSeconds: result.makespan,
    hitRatio: files ? hits / files : 0,
    byteHitRatio: bytes ? result.links.cacheToClient / bytes : 0,
    links: { ...result.links },
    clients,
    caches,
    processes: [],
    errors: [],
    lowerBound: {
      ...bound,
      ratio: ratio(bound.seconds),
      sequentialRatio: ratio(bound.sequentialSeconds),
    },
    steps: result.steps,
  };
}

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

/**
 * The report as readable text.
 *
 * @example
 * ```ts
 * console.log(renderSimReport(simReport(result, bound, wallSeconds)));
 * ```
 */
export function renderSimReport(r: SimReport): string {
  const s = r.scenario;
  const b = r.lowerBound;
  return [
    `Foresight sim — policy ${s.policy}, seed ${s.seed}: ${r.ok ? "OK" : "FAILED"}`,
    `  makespan ${r.simSeconds.toFixed(2)} s simulated (${r.steps} steps in ${
      (r.wallSeconds * 1000).toFixed(0)
    } ms wall); hit ratio ${pct(r.hitRatio)}, byte hit ratio ${pct(r.byteHitRatio)}`,
    `  lower bound ${b.seconds.toFixed(2)} s (× ${
      b.ratio.toFixed(4)
    }); one file at a time per client ${b.sequentialSeconds.toFixed(2)} s (× ${
      b.sequentialRatio.toFixed(4)
    })${b.exact ? "" : ` [${boundMethod(b, s.clients)}]`}`,
    linksLine(r),
    `  client  files  hits  misses  from origin  MiB      done at (sim s)`,
    ...r.clients.map((c) =>
      `  ${String(c.index).padStart(6)}  ${String(c.files).padStart(5)}  ${
        String(c.hits).padStart(4)
      }  ${String(c.misses).padStart(6)}  ${String(c.fromOrigin).padStart(11)}  ${
        mib(c.bytes).padStart(7)
      }  ${c.finishSimSeconds.toFixed(2)}`
    ),
    ...cacheTable(r),
  ].join("\n");
}
