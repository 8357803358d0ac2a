/**
 * The charts of a run, drawn from its {@link RunTimeline}: throughput per
 * link, each cache's occupancy and each client's progress over time. The
 * dashboard shows them live; `--report` writes them as SVG files.
 *
 * @module
 */

import { lineChart } from "./line_chart.ts";
import { LINKS, type RunTimeline } from "./run_timeline.ts";
import { byteAxis, colour } from "./svg_text.ts";

/** The three charts, as SVG strings. */
export interface RunCharts {
  links: string;
  caches: string;
  clients: string;
}

const X_LABEL = "simulated seconds since the clients started (before: launch and warm-up)";

function markers(tl: RunTimeline) {
  return tl.started ? [{ x: 0, label: "clients start" }] : [];
}

const maxY = (points: readonly (readonly [number, number])[][]) =>
  Math.max(0, ...points.flatMap((p) => p.map(([, y]) => y)));

/**
 * Throughput of each kind of link over time, in bytes per simulated second.
 *
 * @example
 * ```ts
 * await Deno.writeTextFile("links.svg", linkChart(timeline));
 * ```
 */
export function linkChart(tl: RunTimeline, width?: number): string {
  const rates = tl.linkRateSeries();
  const axis = byteAxis(maxY(LINKS.map((l) => rates[l.name])), "/s");
  return lineChart({
    title: "Throughput per link (per simulated second)",
    xLabel: X_LABEL,
    series: LINKS.map((l, i) => ({ name: l.label, points: rates[l.name], colour: colour(i) })),
    yFormat: axis.format,
    yTicks: axis.ticks,
    markers: markers(tl),
    width,
    empty: "waiting for the first samples",
  });
}

/**
 * Bytes each cache holds over time, with the capacity as a dashed line.
 *
 * @example
 * ```ts
 * const svg = cacheChart(timeline);
 * ```
 */
export function cacheChart(tl: RunTimeline, width?: number): string {
  const caches = tl.cacheSeries();
  const capacity = Math.max(0, ...caches.map((c) => c.capacityBytes));
  const xs = caches.flatMap((c) => c.points.map((p) => p[0]));
  const xMin = Math.min(0, ...xs);
  const xMax = Math.max(0, ...xs);
  const series = caches.map((c, i) => ({
    name: `cache ${c.index}`,
    points: c.points,
    colour: colour(i + 3),
  }));
  if (capacity > 0 && xs.length) {
    series.push(
      {
        name: "capacity",
        points: [[xMin, capacity], [xMax, capacity]],
        colour: "#8c959f",
        dashed: true,
      } as (typeof series)[number],
    );
  }
  const top = Math.max(capacity, maxY(caches.map((c) => c.points))) * 1.08;
  const axis = byteAxis(top);
  return lineChart({
    title: "Cache occupancy",
    xLabel: X_LABEL,
    series,
    yFormat: axis.format,
    yTicks: axis.ticks,
    yMax: top > 0 ? top : undefined,
    markers: markers(tl),
    width,
    empty: "waiting for the caches",
  });
}

/**
 * Each client's share of its list received over time, in percent.
 *
 * @example
 * ```ts
 * const svg = clientChart(timeline);
 * ```
 */
export function clientChart(tl: RunTimeline, width?: number): string {
  return lineChart({
    title: "Client completion",
    xLabel: X_LABEL,
    series: tl.clientSeries().map((c, i) => ({
      name: `client ${c.index}`,
      points: c.points,
      colour: colour(i),
    })),
    yFormat: (v) => `${v} %`,
    yMax: 104,
    yTicks: () => [0, 25, 50, 75, 100],
    markers: markers(tl),
    width,
    empty: "waiting for the clients",
  });
}

/**
 * All three charts.
 *
 * @example
 * ```ts
 * const { links, caches, clients } = runCharts(timeline);
 * ```
 */
export function runCharts(tl: RunTimeline, width?: number): RunCharts {
  return {
    links: linkChart(tl, width),
    caches: cacheChart(tl, width),
    clients: clientChart(tl, width),
  };
}
