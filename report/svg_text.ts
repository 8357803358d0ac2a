/**
 * Small helpers the SVG charts share: XML escaping, number formats, ticks.
 *
 * @module
 */

/**
 * Escapes text for XML/HTML content and attribute values.
 *
 * @example
 * ```ts
 * xmlEscape('a < "b"'); // "a &lt; &quot;b&quot;"
 * ```
 */
export function xmlEscape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(
    /"/g,
    "&quot;",
  );
}

/**
 * Bytes in binary units with three significant digits.
 *
 * @example
 * ```ts
 * formatBytes(1536); // "1.50 KiB"
 * formatBytes(25 * 1048576); // "25.0 MiB"
 * ```
 */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = bytes;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  if (u === 0) return `${Math.round(v)} B`;
  return `${Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2)} ${
    units[u]
  }`;
}

/**
 * A rate in bytes per second, in binary units.
 *
 * @example
 * ```ts
 * formatRate(2_097_152); // "2.00 MiB/s"
 * ```
 */
export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(bytesPerSecond)}/s`;
}

/**
 * Evenly spaced round tick values (steps of 1, 2 or 5 × 10^k) covering
 * [min, max], about `count` of them.
 *
 * @example
 * ```ts
 * niceTicks(0, 97, 5); // [0, 20, 40, 60, 80, 100]
 * ```
 */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = Math.floor(min / step) * step; v < max + step * 0.999; v += step) {
    ticks.push(Number(v.toPrecision(12)));
    if (ticks.length > 50) break;
  }
  return ticks;
}

/**
 * A byte axis in one binary unit picked by its largest value, so the
 * labels read "0 MiB", "0.5 MiB", "1 MiB" rather than mixing units.
 *
 * @param max the largest value the axis shows
 * @param suffix appended to each label, e.g. "/s"
 * @example
 * ```ts
 * const axis = byteAxis(3 * 1048576, "/s");
 * axis.ticks(0, 3 * 1048576).map(axis.format); // ["0 MiB/s", "1 MiB/s", "2 MiB/s", "3 MiB/s"]
 * ```
 */
export function byteAxis(
  max: number,
  suffix = "",
): { ticks: (min: number, max: number) => number[]; format: (v: number) => string } {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  const u = Math.max(0, Math.min(4, Math.floor(Math.log(Math.max(1, max)) / Math.log(1024))));
  const unit = 1024 ** u;
  return {
    ticks: (a, b) => niceTicks(a / unit, b / unit, 4).map((t) => t * unit),
    format: (v) => `${Number((v / unit).toPrecision(4))} ${units[u]}${suffix}`,
  };
}

/** The palette of series colours (colour-blind friendly, after Okabe and Ito). */
export const PALETTE = [
  "#0072b2",
  "#e69f00",
  "#009e73",
  "#d55e00",
  "#cc79a7",
  "#56b4e9",
  "#8c6d1f",
  "#000000",
] as const;

/**
 * The colour of series `i`.
 *
 * @example
 * ```ts
 * colour(0); // "#0072b2"
 * ```
 */
export function colour(i: number): string {
  return PALETTE[i % PALETTE.length]!;
}
