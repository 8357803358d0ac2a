/**
 * `report.md`: a run's (or a simulation's) report as readable Markdown,
 * tables and the charts beside it.
 *
 * @module
 */

import { lostText, outcome, type ProcessInfo, type RunReport } from "./run_report.ts";
import type { SimReport } from "../sim/sim_report.ts";
import { formatBytes } from "./svg_text.ts";
import { boundText } from "./report_bound.ts";
import { LINKS } from "./run_timeline.ts";

const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
const sec = (x: number) => `${x.toFixed(1)} s`;

function table(head: string[], rows: (string | number)[][], right = true): string[] {
  const align = head.map((_, i) => (i === 0 || !right ? "---" : "--:"));
  return [
    `| ${head.join(" | ")} |`,
    `| ${align.join(" | ")} |`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ];
}

/** A report of either kind. */
type AnyReport = RunReport | SimReport;

/** The rows of the lower bound and the makespan's ratio to it (none without a bound). */
function boundRows(r: AnyReport): string[][] {
  if (!r.lowerBound) return [];
  const t = boundText(r.lowerBound, r.scenario.clients);
  return [["lower bound", t.bound], ["makespan ÷ lower bound", t.ratio]];
}

const isPartial = (c: object) => "partial" in c && c.partial === true;
const isLost = (c: object) => "lost" in c && c.lost === true;

/**
 * Renders the report as Markdown.
 *
 * @param r the report of `foresight run` or `foresight sim`
 * @param charts chart files to show, by title (relative paths)
 * @example
 * ```ts
 * writeFileSync("report.md", reportMarkdown(report, { "Throughput per link": "links.svg" }));
 * ```
 */
export function reportMarkdown(r: RunReport | SimReport, charts: Record<string, string>): string {
  const lines = [
    ...headline(r),
    ...figures(r),
    ...shapingSection(r),
    ...clientsSection(r),
    ...cachesSection(r),
    ...processesSection(r),
    ...lostSection(r),
    ...chartsSection(charts),
    ...errorsSection(r),
  ];
  return lines.join("\n").trimEnd() + "\n";
}

/** The title, the interruption notice, and the scenario in a sentence. */
function headline(r: AnyReport): string[] {
  const s = r.scenario;
  const sim = "steps" in r;
  const runtimes = [...new Set(r.processes.map((p) => p.runtime))].join(", ");
  const interrupted = "interrupted" in r ? r.interrupted : undefined;
  return [
    `# Foresight ${sim ? "simulation" : "run"} — ${outcome(r)}`,
    "",
    ...(interrupted !== undefined
      ? [
        `**Interrupted by ${interrupted}**: every process was stopped before the end; the ` +
        "figures are partial (a line marked _partial_ is that role's latest stats).",
        "",
      ]
      : []),
    `Policy **${s.policy}**, seed ${s.seed}, scale ×${s.scale}: ${s.files} files, ${s.caches} caches of ${
      formatBytes(s.capacityKiB * 1024)
    }, ${s.clients} clients × ${s.requests} requests; links origin → client ${s.rateOriginClient}, origin → cache ${s.rateOriginCache}, cache → client ${s.rateCacheClient} KiB/s.${
      runtimes ? ` Runtimes: ${runtimes}.` : ""
    }`,
    "",
  ];
}

/** The table of the run's figures: result, makespan, bound, wall time, ratios, link bytes. */
function figures(r: AnyReport): string[] {
  const sim = "steps" in r;
  return table(["figure", "value"], [
    ["result", outcome(r)],
    ["makespan (simulated)", sec(r.simSeconds)],
    ...boundRows(r),
    [sim ? "simulation wall time" : "wall time", sec(r.wallSeconds)],
    ["hit ratio", pct(r.hitRatio)],
    ["byte hit ratio", pct(r.byteHitRatio)],
    ["origin → cache", formatBytes(r.links.originToCache)],
    ["origin → client", formatBytes(r.links.originToClient)],
    ["cache → client", formatBytes(r.links.cacheToClient)],
  ], false);
}

/**
 * How the scale was chosen, achieved ÷ shaped per link class, and the warning
 * when a class fell short (none for a simulation).
 */
function shapingSection(r: AnyReport): string[] {
  if (!("linkRates" in r) || !r.linkRates) return [];
  const rates = r.linkRates;
  return [
    "",
    "## Links: achieved against shaped",
    "",
    ...(r.scaleChoice ? [`Scale ×${r.scaleChoice.scale}, ${r.scaleChoice.how}.`, ""] : []),
    ...(r.linkShortfall ? [`**Warning**: ${r.linkShortfall}.`, ""] : []),
    ...table(
      ["link", "transfers", "bytes", "shaped time (wall)", "taken (wall)", "achieved ÷ shaped"],
      LINKS.map((l) => [
        l.label,
        rates[l.name].transfers,
        formatBytes(rates[l.name].bytes),
        sec(rates[l.name].shapedMs / 1000),
        sec(rates[l.name].takenMs / 1000),
        pct(rates[l.name].achieved),
      ]),
    ),
    "",
    "Times are summed over a class's links, counted only while a link had work " +
    "(an idle link does not fall short).",
  ];
}

function clientsSection(r: AnyReport): string[] {
  return [
    "",
    "## Clients",
    "",
    ...table(
      [
        "client",
        "files",
        "verified",
        "corrupt",
        "hits",
        "misses",
        "from origin",
        "bytes",
        "done at (sim)",
      ],
      r.clients.map((c) => [
        c.index,
        c.files,
        c.verified,
        c.corrupt,
        c.hits,
        c.misses,
        c.fromOrigin,
        formatBytes(c.bytes),
        isLost(c) ? "_lost_" : isPartial(c) ? "_partial_" : sec(c.finishSimSeconds),
      ]),
    ),
  ];
}

function cachesSection(r: AnyReport): string[] {
  return [
    "",
    "## Caches",
    "",
    ...table(
      ["cache", "capacity", "peak", "hits", "misses", "pushed files", "pushed bytes", "evicted"],
      r.caches.map((c) => [
        isPartial(c) ? `${c.index} (_partial_)` : c.index,
        formatBytes(c.capacityBytes),
        formatBytes(c.peakBytes),
        c.hits,
        c.misses,
        c.pushedFiles,
        formatBytes(c.pushedBytes),
        c.evicted,
      ]),
    ),
  ];
}

/** Each process's runtime, peak memory and exit (none for a simulation). */
function processesSection(r: AnyReport): string[] {
  if (!r.processes.length) return [];
  return [
    "",
    "## Processes",
    "",
    ...table(
      ["process", "runtime", "peak RSS", "exit code"],
      r.processes.map((p) => [
        `${p.role}${p.role === "origin" ? "" : ` ${p.index}`}`,
        p.runtime,
        p.peakRssBytes > 0 ? formatBytes(p.peakRssBytes) : "unknown",
        p.exitCode === null && p.signal ? p.signal : String(p.exitCode),
      ]),
    ),
  ];
}

function lostSection(r: AnyReport): string[] {
  const lostRoles = (r.processes as ProcessInfo[]).filter((p) => p.lost);
  if (!lostRoles.length) return [];
  return [
    "",
    "## Lost roles",
    "",
    "The run went on without these; the result counts the surviving clients.",
    "",
    ...lostRoles.map((p) => `- ${lostText(p)}`),
  ];
}

function chartsSection(charts: Record<string, string>): string[] {
  const chartList = Object.entries(charts);
  if (!chartList.length) return [];
  const lines = ["", "## Charts", ""];
  for (const [title, file] of chartList) lines.push(`![${title}](${file})`, "");
  return lines;
}

function errorsSection(r: AnyReport): string[] {
  if (!r.errors.length) return [];
  return ["", "## Errors", "", ...r.errors.map((e) => `- ${e}`)];
}
