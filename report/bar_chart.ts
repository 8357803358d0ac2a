/**
 * A horizontal bar chart as a standalone SVG string: one labelled bar per
 * row, e.g. when each client finished.
 *
 * @module
 */

import { colour, niceTicks, xmlEscape } from "./svg_text.ts";

/** What to draw. */
export interface BarChartOptions {
  readonly title: string;
  readonly bars: readonly {
    readonly label: string;
    readonly value: number;
    readonly colour?: string;
  }[];
  readonly xLabel: string;
  /** Formats the value printed after each bar and the axis ticks (default: the number). */
  readonly format?: (v: number) => string;
  /** The axis: its ticks and their labels (default: round decimal steps, labelled by `format`). */
  readonly axis?: {
    readonly ticks: (min: number, max: number) => number[];
    readonly format: (v: number) => string;
  };
  readonly width?: number;
}

/**
 * Draws a horizontal bar chart; its height grows with the rows.
 *
 * @example
 * ```ts
 * barChart({ title: "Finish", xLabel: "s", bars: [{ label: "client 0", value: 35 }] });
 * ```
 */
export function barChart(o: BarChartOptions): string {
  const width = o.width ?? 720;
  const left = 120, right = 72, top = 40, row = 22, bottom = 40;
  const height = top + row * Math.max(1, o.bars.length) + bottom;
  const plotW = width - left - right;
  const max = Math.max(1e-9, ...o.bars.map((b) => b.value));
  const ticks = o.axis ? o.axis.ticks(0, max) : niceTicks(0, max, 5);
  const top_ = ticks[ticks.length - 1] ?? max;
  const fx = (v: number) => left + (v / top_) * plotW;
  const fmt = o.format ?? ((v: number) => String(v));
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${
      xmlEscape(o.title)
    }" font-family="system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${left}" y="20" font-size="15" font-weight="600" fill="#1f2328">${
      xmlEscape(o.title)
    }</text>`,
  ];
  const plotBottom = top + row * o.bars.length;
  for (const t of ticks) {
    const x = fx(t).toFixed(1);
    parts.push(
      `<line x1="${x}" x2="${x}" y1="${top - 4}" y2="${plotBottom}" stroke="#e5e7eb"/>`,
      `<text x="${x}" y="${plotBottom + 16}" text-anchor="middle" fill="#57606a">${
        xmlEscape((o.axis?.format ?? fmt)(t))
      }</text>`,
    );
  }
  o.bars.forEach((b, i) => {
    const y = top + i * row;
    const w = Math.max(0, fx(b.value) - left);
    parts.push(
      `<text x="${left - 8}" y="${
        y + row / 2
      }" text-anchor="end" dominant-baseline="middle" fill="#1f2328">${xmlEscape(b.label)}</text>`,
      `<rect x="${left}" y="${y + 4}" width="${w.toFixed(1)}" height="${row - 8}" rx="2" fill="${
        b.colour ?? colour(0)
      }"/>`,
      `<text x="${(left + w + 6).toFixed(1)}" y="${
        y + row / 2
      }" dominant-baseline="middle" fill="#57606a">${xmlEscape(fmt(b.value))}</text>`,
    );
  });
  parts.push(
    `<text x="${left + plotW / 2}" y="${height - 8}" text-anchor="middle" fill="#57606a">${
      xmlEscape(o.xLabel)
    }</text>`,
    "</svg>",
  );
  return parts.join("");
}
