/**
 * What Foresight reports about a run or a simulation: the run's report and its
 * text, its lower bound, its Markdown, the time series of a run (the timeline
 * the progress and the dashboard draw from), and the SVG charts the dashboard
 * and the report files show. Pure functions over plain data: no I/O.
 *
 * @example
 * ```ts
 * import { reportMarkdown, runCharts } from "./report/mod.ts";
 * const charts = runCharts(timeline);
 * const md = reportMarkdown(report, { "Throughput per link": "links.svg" });
 * ```
 *
 * @module
 */

export {
  buildReport,
  lostText,
  outcome,
  type ProcessInfo,
  renderReport,
  type RunReport,
  type Summary,
} from "./run_report.ts";
export { boundText, incompleteBecause, type ReportBound, reportBound } from "./report_bound.ts";
export { reportMarkdown } from "./report_markdown.ts";
export {
  type CacheState,
  type ClientProgress,
  type LinkName,
  LINKS,
  type RunPhase,
  RunTimeline,
  type TimelineSample,
  type TimelineSnapshot,
} from "./run_timeline.ts";
export { cacheChart, clientChart, linkChart, type RunCharts, runCharts } from "./run_charts.ts";
export { lineChart, type LineChartOptions, type LineSeries, thin } from "./line_chart.ts";
export { barChart, type BarChartOptions } from "./bar_chart.ts";
export {
  byteAxis,
  colour,
  formatBytes,
  formatRate,
  niceTicks,
  PALETTE,
  xmlEscape,
} from "./svg_text.ts";
