/**
 * A line chart as a standalone SVG string: axes with round ticks, a legend,
 * optional vertical markers. Used by the live dashboard and the reports.
 *
 * @module
 */

import { colour, niceTicks, xmlEscape } from "./svg_text.ts";

/** One line of a chart. */
export interface LineSeries {
  readonly name: string;
  /** Points as [x, y], x ascending. */
  readonly points: readonly (readonly [number, number])[];
  /** Stroke colour (default: the palette's next). */
  readonly colour?: string;
  /** A dashed line (e.g. a capacity). */
  readonly dashed?: boolean;
}

/** What to draw. */
export interface LineChartOptions {
  readonly title: string;
  readonly series: readonly LineSeries[];
  readonly xLabel: string;
  readonly yLabel?: string;
  /** Formats y tick labels (default: the number). */
  readonly yFormat?: (v: number) => string;
  /** y ticks (default: round decimal steps). */
  readonly yTicks?: (min: number, max: number) => number[];
  /** Lowest and highest y shown (default 0 and the data's maximum). */
  readonly yMin?: number;
  readonly yMax?: number;
  /** Lowest and highest x shown (default the data's, with 0 included). */
  readonly xMin?: number;
  readonly xMax?: number;
  /** Vertical lines with a label, e.g. the start of the run. */
  readonly markers?: readonly { readonly x: number; readonly label: string }[];
  readonly width?: number;
  readonly height?: number;
  /** Drawn when no series has a point. */
  readonly empty?: string;
}

const M = { left: 72, right: 20, top: 48, bottom: 44 };

/**
 * Averages points into at most `buckets` groups of equal x width, so a long
 * series draws as many segments as the chart has pixels, not samples.
 *
 * @example
 * ```ts
 * thin([[0, 1], [1, 3], [2, 5], [3, 7]], 2); // [[0.5, 2], [2.5, 6]]
 * ```
 */
export function thin(
  points: readonly (readonly [number, number])[],
  buckets: number,
): [number, number][] {
  if (points.length <= buckets) return points.map(([x, y]) => [x, y]);
  const x0 = points[0]![0];
  const span = points[points.length - 1]![0] - x0 || 1;
  const out: [number, number][] = [];
  let bucket = -1, sx = 0, sy = 0, n = 0;
  for (const [x, y] of points) {
    const b = Math.min(buckets - 1, Math.floor(((x - x0) / span) * buckets));
    if (b !== bucket && n) {
      out.push([sx / n, sy / n]);
      sx = sy = n = 0;
    }
    bucket = b;
    sx += x;
    sy += y;
    n++;
  }
  if (n) out.push([sx / n, sy / n]);
  return out;
}

/**
 * Draws a line chart.
 *
 * @returns an `<svg>` element with its namespace, usable inline in HTML or as a `.svg` file
 * @example
 * ```ts
 * const svg = lineChart({
 *   title: "Cache occupancy",
 *   xLabel: "simulated seconds",
 *   series: [{ name: "cache 0", points: [[0, 0], [10, 2048]] }],
 *   yFormat: formatBytes,
 * });
 * ```
 */
export function lineChart(o: LineChartOptions): string {
  const f = frameOf(o);
  return [
    ...heading(o, f),
    ...axes(o, f),
    ...markers(o, f),
    ...lines(o, f),
    ...legend(o, f),
    "</svg>",
  ].join("");
}

/** Where a chart draws: its size, its plot area, the ranges shown and the scales to pixels. */
interface Frame {
  readonly width: number;
  readonly height: number;
  readonly plotW: number;
  readonly plotH: number;
  readonly xMin: number;
  readonly xMax: number;
  readonly yMin: number;
  readonly yMax: number;
  /** x in data units → pixels. */
  readonly fx: (x: number) => number;
  /** y in data units → pixels. */
  readonly fy: (y: number) => number;
}

/** A pixel coordinate as written in the SVG. */
const px = (v: number) => v.toFixed(1);

/** Whether `t` lies in [lo, hi], give or take rounding. */
const within = (t: number, lo: number, hi: number) =>
  t >= lo - (hi - lo) * 1e-6 && t <= hi + (hi - lo) * 1e-6;

function frameOf(o: LineChartOptions): Frame {
  const width = o.width ?? 720;
  const height = o.height ?? 280;
  const plotW = width - M.left - M.right;
  const plotH = height - M.top - M.bottom;
  const all = o.series.flatMap((s) => s.points);
  const xMin = o.xMin ?? Math.min(0, ...all.map((p) => p[0]));
  const xMax = Math.max(xMin + 1e-9, o.xMax ?? Math.max(0, ...all.map((p) => p[0])));
  const yMin = o.yMin ?? 0;
  const yMax = o.yMax ?? Math.max(yMin + 1e-9, ...all.map((p) => p[1]));
  const fx = (x: number) => M.left + ((x - xMin) / (xMax - xMin)) * plotW;
  const fy = (y: number) => M.top + plotH - ((y - yMin) / (yMax - yMin || 1)) * plotH;
  return { width, height, plotW, plotH, xMin, xMax, yMin, yMax, fx, fy };
}

/** The `<svg>` element's opening, its white background and the title. */
function heading(o: LineChartOptions, { width, height }: Frame): string[] {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${
      xmlEscape(o.title)
    }" font-family="system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${M.left}" y="20" font-size="15" font-weight="600" fill="#1f2328">${
      xmlEscape(o.title)
    }</text>`,
  ];
}

/** The grid with the y labels, the x ticks and labels, the x axis and the axis labels. */
function axes(o: LineChartOptions, f: Frame): string[] {
  const { plotW, plotH, xMin, xMax, yMin, yMax } = f;
  const yTicks = (o.yTicks ?? ((a, b) => niceTicks(a, b, 4)))(yMin, yMax).filter((t) =>
    within(t, yMin, yMax)
  );
  const xTicks = niceTicks(xMin, xMax, 6).filter((t) => within(t, xMin, xMax));
  const yFormat = o.yFormat ?? ((v: number) => String(v));
  const parts: string[] = [];
  for (const t of yTicks) {
    const y = px(f.fy(t));
    parts.push(
      `<line x1="${M.left}" x2="${M.left + plotW}" y1="${y}" y2="${y}" stroke="#e5e7eb"/>`,
      `<text x="${
        M.left - 8
      }" y="${y}" text-anchor="end" dominant-baseline="middle" fill="#57606a">${
        xmlEscape(yFormat(t))
      }</text>`,
    );
  }
  for (const t of xTicks) {
    const x = px(f.fx(t));
    parts.push(
      `<line x1="${x}" x2="${x}" y1="${M.top + plotH}" y2="${
        M.top + plotH + 4
      }" stroke="#8c959f"/>`,
      `<text x="${x}" y="${M.top + plotH + 17}" text-anchor="middle" fill="#57606a">${
        xmlEscape(String(t))
      }</text>`,
    );
  }
  parts.push(
    `<line x1="${M.left}" x2="${M.left + plotW}" y1="${M.top + plotH}" y2="${
      M.top + plotH
    }" stroke="#8c959f"/>`,
    `<text x="${M.left + plotW / 2}" y="${f.height - 6}" text-anchor="middle" fill="#57606a">${
      xmlEscape(o.xLabel)
    }</text>`,
  );
  if (o.yLabel) {
    parts.push(
      `<text transform="translate(14 ${
        M.top + plotH / 2
      }) rotate(-90)" text-anchor="middle" fill="#57606a">${xmlEscape(o.yLabel)}</text>`,
    );
  }
  return parts;
}

/** The vertical markers within the x range, each with its label. */
function markers(o: LineChartOptions, f: Frame): string[] {
  const parts: string[] = [];
  for (const m of o.markers ?? []) {
    if (!within(m.x, f.xMin, f.xMax)) continue;
    const x = px(f.fx(m.x));
    parts.push(
      `<line x1="${x}" x2="${x}" y1="${M.top}" y2="${
        M.top + f.plotH
      }" stroke="#8c959f" stroke-dasharray="2 3"/>`,
      `<text x="${Number(x) + 4}" y="${M.top + 10}" fill="#57606a" font-size="11">${
        xmlEscape(m.label)
      }</text>`,
    );
  }
  return parts;
}

/** The series' lines, thinned to the plot's width and clipped to it; a note when none has a point. */
function lines(o: LineChartOptions, f: Frame): string[] {
  const { plotW, plotH } = f;
  const clip = `clip${Math.abs(hash(o.title))}`;
  const parts = [
    `<clipPath id="${clip}"><rect x="${M.left}" y="${M.top - 2}" width="${plotW}" height="${
      plotH + 4
    }"/></clipPath>`,
  ];
  o.series.forEach((s, i) => {
    const pts = thin(s.points, Math.max(2, Math.floor(plotW)));
    if (!pts.length) return;
    const d = pts.map(([x, y], j) => `${j ? "L" : "M"}${px(f.fx(x))} ${px(f.fy(y))}`).join("");
    parts.push(
      `<path d="${d}" fill="none" stroke="${
        s.colour ?? colour(i)
      }" stroke-width="2" stroke-linejoin="round"${
        s.dashed ? ' stroke-dasharray="6 4"' : ""
      } clip-path="url(#${clip})"/>`,
    );
  });
  if (!o.series.some((s) => s.points.length > 0)) {
    parts.push(
      `<text x="${M.left + plotW / 2}" y="${
        M.top + plotH / 2
      }" text-anchor="middle" fill="#8c959f">${xmlEscape(o.empty ?? "no data yet")}</text>`,
    );
  }
  return parts;
}

/** The legend, right-aligned on the title row. */
function legend(o: LineChartOptions, f: Frame): string[] {
  let lx = f.width - M.right;
  const parts: string[] = [];
  for (let i = o.series.length - 1; i >= 0; i--) {
    const s = o.series[i]!;
    const w = 26 + s.name.length * 6.6;
    lx -= w;
    parts.push(
      `<line x1="${px(lx)}" x2="${px(lx + 16)}" y1="36" y2="36" stroke="${
        s.colour ?? colour(i)
      }" stroke-width="3"${s.dashed ? ' stroke-dasharray="4 3"' : ""}/>`,
      `<text x="${px(lx + 20)}" y="36" dominant-baseline="middle" fill="#1f2328">${
        xmlEscape(s.name)
      }</text>`,
    );
  }
  return parts;
}

function hash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h;
}
