/**
 * `--report DIR`: a run's or a simulation's report as files — `report.json`,
 * `report.md` and SVG charts drawn here (links, caches, clients).
 *
 * @module
 */

import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ForesightError } from "../errors.ts";
import type { RunTimeline } from "../report/run_timeline.ts";
import { runCharts } from "../report/run_charts.ts";
import { barChart } from "../report/bar_chart.ts";
import { byteAxis, colour, formatBytes } from "../report/svg_text.ts";
import type { SimReport } from "../sim/sim_report.ts";
import type { RunReport } from "../report/run_report.ts";
import { reportMarkdown } from "../report/report_markdown.ts";

const TITLES = {
  links: "Throughput per link",
  caches: "Cache occupancy",
  clients: "Client completion",
} as const;

function write(dir: string, files: Record<string, string>): string[] {
  try {
    mkdirSync(dir, { recursive: true });
    return Object.entries(files).map(([name, text]) => {
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    });
  } catch (e) {
    throw new ForesightError(
      "CONFIG",
      `Cannot write the report to ${dir}: ${(e as Error).message}`,
      { cause: e },
    );
  }
}

/**
 * Writes a live run's report with its time series and charts.
 *
 * @returns the paths written
 * @throws {ForesightError} CONFIG when the folder cannot be written
 * @example
 * ```ts
 * writeRunReport("reports/today", report, timeline); // report.json, report.md, links.svg, caches.svg, clients.svg
 * ```
 */
export function writeRunReport(dir: string, report: RunReport, timeline: RunTimeline): string[] {
  const charts = runCharts(timeline);
  const json = {
    ...report,
    // Each sample: wall seconds since launch, cumulative bytes per link, bytes held per
    // cache, files received per client.
    timeline: { startWallSeconds: timeline.startWallSeconds, samples: timeline.samples() },
  };
  return write(dir, {
    "report.json": JSON.stringify(json, null, 2) + "\n",
    "report.md": reportMarkdown(report, {
      [TITLES.links]: "links.svg",
      [TITLES.caches]: "caches.svg",
      [TITLES.clients]: "clients.svg",
    }),
    "links.svg": charts.links,
    "caches.svg": charts.caches,
    "clients.svg": charts.clients,
  });
}

/**
 * The charts of a simulation. The simulator keeps totals, not time series, so
 * these are bars: bytes per link, peak occupancy per cache, each client's
 * finish time.
 *
 * @example
 * ```ts
 * const { clients } = simCharts(report);
 * ```
 */
export function simCharts(r: SimReport): { links: string; caches: string; clients: string } {
  const links = byteAxis(
    Math.max(r.links.originToCache, r.links.originToClient, r.links.cacheToClient),
  );
  const caches = byteAxis(Math.max(0, ...r.caches.map((c) => c.peakBytes)));
  return {
    links: barChart({
      title: "Bytes per link (whole simulation)",
      xLabel: "bytes",
      format: formatBytes,
      axis: links,
      bars: [
        { label: "origin → cache", value: r.links.originToCache, colour: colour(0) },
        { label: "origin → client", value: r.links.originToClient, colour: colour(1) },
        { label: "cache → client", value: r.links.cacheToClient, colour: colour(2) },
      ],
    }),
    caches: barChart({
      title: "Peak cache occupancy",
      xLabel: `bytes (capacity ${formatBytes(r.scenario.capacityKiB * 1024)})`,
      format: formatBytes,
      axis: caches,
      bars: r.caches.map((c) => ({
        label: `cache ${c.index}`,
        value: c.peakBytes,
        colour: colour(3),
      })),
    }),
    clients: barChart({
      title: "Client completion (simulated seconds to the last file)",
      xLabel: "simulated seconds",
      format: (v) => `${Number(v.toFixed(1))} s`,
      bars: r.clients.map((c, i) => ({
        label: `client ${c.index}`,
        value: c.finishSimSeconds,
        colour: colour(i),
      })),
    }),
  };
}

/**
 * Writes a simulation's report and its charts.
 *
 * @returns the paths written
 * @throws {ForesightError} CONFIG when the folder cannot be written
 * @example
 * ```ts
 * writeSimReport("reports/sim", simReport(result, bound, wall));
 * ```
 */
export function writeSimReport(dir: string, report: SimReport): string[] {
  const charts = simCharts(report);
  return write(dir, {
    "report.json": JSON.stringify(report, null, 2) + "\n",
    "report.md": reportMarkdown(report, {
      "Bytes per link": "links.svg",
      "Peak cache occupancy": "caches.svg",
      "Client completion": "clients.svg",
    }),
    "links.svg": charts.links,
    "caches.svg": charts.caches,
    "clients.svg": charts.clients,
  });
}
