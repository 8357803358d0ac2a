/**
 * The report of a run, built from every role's summary event, and its
 * readable rendering.
 *
 * @module
 */

import type { Scenario } from "../core/run/scenario.ts";
import {
  type CacheReport,
  cacheTable,
  type ClientReport,
  linksLine,
  mib,
  type ReportBase,
} from "../core/run/report_shape.ts";
import { boundText, type ReportBound } from "./report_bound.ts";
import { type LinkRates, linkRates, ratesText, shortfallWarning } from "./link_rates.ts";
import type { ScaleChoice } from "./scale_choice.ts";

/** A role's summary event as printed by `runMain`. */
export type Summary = Record<string, any> & { role: string; ok: boolean };

/** One role process of a run. */
export interface ProcessInfo {
  role: string;
  index: number;
  runtime: string;
  /** Its process id (none when it could not be started). */
  pid?: number;
  /** Its exit code; null when a signal ended it. */
  exitCode: number | null;
  /** The signal that ended it, if one did. */
  signal?: string | null;
  peakRssBytes: number;
  /**
   * Set when the run lost this cache or client and went on without it: the
   * origin dropped it (with the origin's phase and reason, when it said), or
   * a signal the run did not send ended it.
   */
  lost?: { phase?: string; reason?: string };
}

/** A line of the report whose role was stopped before its summary: its latest stats. */
interface PartialMark {
  /** True when the figures are the role's latest stats, not its final summary. */
  partial?: boolean;
}

/** A line of the report whose role the run lost (its process has the details). */
interface LostLine {
  lost?: boolean;
}

/** The report of `foresight run`. */
export interface RunReport extends ReportBase {
  clients: (ClientReport & PartialMark & LostLine)[];
  caches: (CacheReport & PartialMark & LostLine)[];
  processes: ProcessInfo[];
  /** The signal that interrupted the run (SIGINT, SIGTERM); absent when it ran to its end. */
  interrupted?: string;
  /**
   * The scenario's lower bound and the makespan's ratio to it (`foresight run` adds it;
   * absent when it was not known in time, e.g. a run interrupted before its start).
   */
  lowerBound?: ReportBound;
  /**
   * Achieved against shaped per link class while busy (report/link_rates.ts):
   * how far this machine held the links' shaped rate at the run's scale
   * (none in a simulation's report).
   */
  linkRates?: LinkRates;
  /** The plain warning of a run whose links fell short of their shaped rate; absent when none did. */
  linkShortfall?: string;
  /** How `--scale auto` chose the scale (absent when the scale was given). */
  scaleChoice?: ScaleChoice;
}

/**
 * Builds the report from the summaries and the processes' exits. A summary
 * marked `partial` (a role stopped early, shown by its latest stats) marks its
 * line partial; a process marked `lost` marks its line lost. The run is ok
 * when every process but the lost ones exited 0, every surviving client (at
 * least one) verified every file, no client saw a corrupt byte, no cache
 * exceeded its capacity, and nothing went wrong.
 *
 * @param scenario the run's scenario
 * @param summaries every role's summary event (or latest stats, marked `partial`)
 * @param processes every process of the run and how it ended
 * @param wallSeconds how long the run took
 * @param errors what went wrong (the run is not ok with any)
 * @param options `interrupted`: the signal that interrupted the run
 * @example
 * ```ts
 * const report = buildReport(scenario, summaries, processes, 12.5, []);
 * report.ok; // true when every surviving client verified every file
 * ```
 */
export function buildReport(
  scenario: Scenario,
  summaries: Summary[],
  processes: ProcessInfo[],
  wallSeconds: number,
  errors: string[],
  options: { interrupted?: string } = {},
): RunReport {
  const lostOnes = new Set(processes.filter((p) => p.lost).map((p) => `${p.role} ${p.index}`));
  const marks = (s: Summary) => ({
    ...(s.partial === true ? { partial: true } : {}),
    ...(lostOnes.has(`${s.role} ${s.index}`) ? { lost: true } : {}),
  });
  const clients = clientLines(summaries, marks, scenario.requests);
  const caches = cacheLines(summaries, marks);
  const origin = summaries.find((s) => s.role === "origin");
  const files = clients.reduce((a, c) => a + c.files, 0);
  const bytes = clients.reduce((a, c) => a + c.bytes, 0);
  // A hit is what the cache policy counts as one (a pull-through fetch is a miss even though
  // the cache streams the bytes on), as in the simulator.
  const hits = caches.reduce((a, c) => a + c.hits, 0);
  const cacheToClient = summaries.filter((s) => s.role === "cache").reduce(
    (a, s) => a + (s.bytesToClients ?? 0),
    0,
  );
  // How far the clients stopped early had got, in simulated seconds.
  const rates = linkRates(summaries);
  const shortfall = shortfallWarning(rates, scenario.scale);
  const elapsed = summaries.filter((s) => s.role === "client" && s.partial === true).map((s) =>
    typeof s.simSeconds === "number" && Number.isFinite(s.simSeconds) ? s.simSeconds : 0
  );
  return {
    scenario,
    ok: runOk(scenario, clients, caches, processes) && errors.length === 0 &&
      options.interrupted === undefined,
    ...(options.interrupted === undefined ? {} : { interrupted: options.interrupted }),
    wallSeconds,
    simSeconds: Math.max(0, ...clients.map((c) => c.finishSimSeconds), ...elapsed),
    hitRatio: files ? hits / files : 0,
    byteHitRatio: bytes ? cacheToClient / bytes : 0,
    links: {
      originToCache: origin?.bytesToCaches ?? 0,
      originToClient: origin?.bytesToClients ?? 0,
      cacheToClient,
    },
    clients,
    caches,
    processes,
    errors,
    linkRates: rates,
    ...(shortfall === undefined ? {} : { linkShortfall: shortfall }),
  };
}

/** The partial and lost marks of a summary's line. */
type Marks = (s: Summary) => PartialMark & LostLine;

/** A line per client of a real files' run that skipped, fetched again or lost files. */
function fileLines(r: RunReport): string[] {
  return r.clients.filter((c) => c.failed || c.skipped || c.refetched).map((c) =>
    `  client ${c.index}: ${
      [
        c.failed ? `${c.failed} failed (refused by the origin: changed on disk)` : "",
        c.skipped ? `${c.skipped} already in --out (not fetched)` : "",
        c.refetched ? `${c.refetched} fetched again (a wrong copy came)` : "",
      ].filter((x) => x).join(", ")
    }`
  );
}

/** The clients' lines, by index, from their summaries. */
function clientLines(
  summaries: Summary[],
  marks: Marks,
  requests: number,
): RunReport["clients"] {
  // Counts of real files' runs, shown only when they say something.
  const some = (s: Summary, k: "failed" | "skipped" | "refetched") =>
    typeof s[k] === "number" && s[k] > 0 ? { [k]: s[k] as number } : {};
  return summaries.filter((s) => s.role === "client").sort((a, b) => a.index - b.index)
    .map((s) => ({
      index: s.index,
      files: s.files ?? 0,
      bytes: s.bytes ?? 0,
      verified: s.verified ?? 0,
      corrupt: s.corrupt ?? 0,
      finishSimSeconds: s.finishSimSeconds ?? 0,
      hits: s.hits ?? 0,
      misses: s.misses ?? 0,
      fromOrigin: s.fromOrigin ?? 0,
      ok: s.ok,
      ...(typeof s.requested === "number" && s.requested > 0 && s.requested !== requests
        ? { requested: s.requested as number }
        : {}),
      ...some(s, "failed"),
      ...some(s, "skipped"),
      ...some(s, "refetched"),
      ...marks(s),
    }));
}

/** The caches' lines, by index, from their summaries. */
function cacheLines(summaries: Summary[], marks: Marks): RunReport["caches"] {
  return summaries.filter((s) => s.role === "cache").sort((a, b) => a.index - b.index).map((
    s,
  ) => ({
    index: s.index,
    capacityBytes: s.capacityBytes ?? 0,
    peakBytes: s.peakBytes ?? 0,
    hits: s.hits ?? 0,
    misses: s.misses ?? 0,
    pushedFiles: s.pushedFiles ?? 0,
    pushedBytes: s.pushedBytes ?? 0,
    evicted: s.evicted ?? 0,
    ok: s.ok,
    ...marks(s),
  }));
}

/**
 * Whether the processes and lines make an ok run: every process but the lost ones
 * exited 0 and none is missing, every surviving client (at least one) verified every
 * file, no client saw a corrupt byte, and no cache exceeded its capacity.
 */
function runOk(
  scenario: Scenario,
  clients: RunReport["clients"],
  caches: RunReport["caches"],
  processes: ProcessInfo[],
): boolean {
  const allExited0 = processes.every((p) => p.exitCode === 0 || p.lost);
  const expectedProcs = 1 + scenario.caches + scenario.clients;
  const lostClients = processes.filter((p) => p.role === "client" && p.lost).length;
  const surviving = clients.filter((c) => !c.lost);
  const everyFile = surviving.length === scenario.clients - lostClients && surviving.length > 0 &&
    surviving.every((c) => c.ok && c.verified === (c.requested ?? scenario.requests)) &&
    clients.every((c) => c.corrupt === 0);
  const withinCapacity = caches.every((c) => c.peakBytes <= c.capacityBytes);
  return allExited0 && processes.length === expectedProcs && everyFile && withinCapacity;
}

/**
 * The outcome in a word or two: OK, FAILED, or INTERRUPTED (SIGINT).
 *
 * @example
 * ```ts
 * outcome({ ok: false, interrupted: "SIGTERM" }); // "INTERRUPTED (SIGTERM)"
 * ```
 */
export function outcome(r: { ok: boolean; interrupted?: string }): string {
  return r.interrupted !== undefined ? `INTERRUPTED (${r.interrupted})` : r.ok ? "OK" : "FAILED";
}

/** The bound's line of the terminal report (none when the report has no bound). */
function boundLines(r: RunReport): string[] {
  if (!r.lowerBound) return [];
  const t = boundText(r.lowerBound, r.scenario.clients);
  return [`  lower bound ${t.bound}; makespan ÷ bound ${t.ratio}`];
}

/**
 * The report as readable text.
 *
 * @example
 * ```ts
 * process.stdout.write(renderReport(report) + "\n");
 * ```
 */
export function renderReport(r: RunReport): string {
  const partial = r.clients.some((c) => c.partial) || r.caches.some((c) => c.partial);
  const lines = [
    `Foresight run — policy ${r.scenario.policy}, seed ${r.scenario.seed}, scale ${r.scenario.scale}: ${
      outcome(r)
    }`,
    ...(r.interrupted !== undefined
      ? [
        `  interrupted by ${r.interrupted}: every process was stopped` +
        (partial ? "; lines marked partial are a role's latest stats" : ""),
      ]
      : []),
    `  simulated ${r.simSeconds.toFixed(1)} s in ${r.wallSeconds.toFixed(1)} s wall; hit ratio ${
      (r.hitRatio * 100).toFixed(1)
    } %, byte hit ratio ${(r.byteHitRatio * 100).toFixed(1)} %`,
    ...boundLines(r),
    linksLine(r),
    ...scaleLines(r),
    `  client  files  verified  corrupt  hits  misses  MiB      done at (sim s)`,
    ...r.clients.map((c) =>
      `  ${String(c.index).padStart(6)}  ${String(c.files).padStart(5)}  ${
        String(c.verified).padStart(8)
      }  ${String(c.corrupt).padStart(7)}  ${String(c.hits).padStart(4)}  ${
        String(c.misses).padStart(6)
      }  ${mib(c.bytes).padStart(7)}  ${
        c.lost ? "lost" : c.partial ? "partial" : c.finishSimSeconds.toFixed(1)
      }`
    ),
    ...fileLines(r),
    ...cacheTable(r),
    `  processes (peak RSS): ` +
    r.processes.map((p) =>
      `${p.role}${p.role === "origin" ? "" : p.index}/${p.runtime} ${
        p.peakRssBytes > 0 ? mib(p.peakRssBytes) : "?"
      } MiB exit ${p.exitCode ?? p.signal ?? "?"}`
    ).join(", "),
    ...lostLines(r),
    ...r.errors.map((e) => `  error: ${e}`),
  ];
  return lines.join("\n");
}

/**
 * One line per role the run lost: how its process ended and, when the origin
 * said, in which phase and why it dropped it.
 *
 * @example
 * ```ts
 * lostText({ role: "cache", index: 0, exitCode: null, signal: "SIGKILL", lost: { phase: "running" } });
 * // "cache 0 (SIGKILL, lost while running)"
 * ```
 */
export function lostText(p: ProcessInfo): string {
  const phase = p.lost?.phase ? `, lost while ${p.lost.phase}` : "";
  const reason = p.lost?.reason ? `: ${p.lost.reason}` : "";
  return `${p.role} ${p.index} (${p.signal ?? `exit ${p.exitCode}`}${phase})${reason}`;
}

/** How the scale was chosen, achieved ÷ shaped per link class, and the warning when short. */
function scaleLines(r: RunReport): string[] {
  return [
    ...(r.scaleChoice ? [`  scale ${r.scaleChoice.scale}: ${r.scaleChoice.how}`] : []),
    ...(r.linkRates
      ? [`  achieved ÷ shaped link rate (while busy): ${ratesText(r.linkRates)}`]
      : []),
    ...(r.linkShortfall ? [`  WARNING: ${r.linkShortfall}`] : []),
  ];
}

function lostLines(r: RunReport): string[] {
  return r.processes.filter((p) => p.lost).map((p) => `  lost: ${lostText(p)}`);
}
