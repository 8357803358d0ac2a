/**
 * Live progress of a run in the terminal: a bar per client (files, bytes,
 * hits), each cache's occupancy and the throughput per link, redrawn in
 * place on a TTY; plain periodic lines when the output is a file or a pipe.
 *
 * @module
 */

import type { RunTimeline, TimelineSnapshot } from "../report/run_timeline.ts";
import { LINKS } from "../report/run_timeline.ts";
import { formatBytes, formatRate } from "../report/svg_text.ts";
import { ratesText, shortClasses } from "../report/link_rates.ts";

interface Out {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** Client rows drawn in the terminal; the rest are summed up in one line. */
const MAX_ROWS = 16;

function bar(fraction: number, width: number): string {
  const n = Math.max(0, Math.min(width, Math.round(fraction * width)));
  return `[${"#".repeat(n)}${".".repeat(width - n)}]`;
}

const pct = (x: number) => `${(100 * x).toFixed(1)} %`;

/**
 * The progress block of a snapshot, one string per line (no colours, no
 * escape codes).
 *
 * @example
 * ```ts
 * for (const line of progressLines(timeline.snapshot())) console.log(line);
 * ```
 */
export function progressLines(s: TimelineSnapshot, width = 100): string[] {
  const barWidth = Math.max(10, Math.min(30, width - 62));
  const lines = [
    `foresight ${s.phase.padEnd(11)} sim ${s.simSeconds.toFixed(0)} s (${
      s.wallSeconds.toFixed(1)
    } s wall)  files ${s.filesDone}/${s.filesTotal}  hit ratio ${pct(s.hitRatio)}`,
  ];
  for (const c of s.clients.slice(0, MAX_ROWS)) {
    lines.push(
      `client ${String(c.index).padEnd(3)} ${bar(c.files / Math.max(1, c.of), barWidth)} ${
        `${c.files}/${c.of}`.padStart(11)
      } files ${formatBytes(c.bytes).padStart(10)}  ${String(c.hits).padStart(5)} hits${
        c.done ? "  done" : ""
      }`,
    );
  }
  const rest = s.clients.slice(MAX_ROWS);
  if (rest.length) {
    lines.push(
      `… ${rest.length} more clients: ${rest.filter((c) => c.done).length} done, ${
        rest.reduce((a, c) => a + c.files, 0)
      } files`,
    );
  }
  for (const c of s.caches) {
    lines.push(
      `cache  ${String(c.index).padEnd(3)} ${
        bar(c.usedBytes / Math.max(1, c.capacityBytes), barWidth)
      } ${formatBytes(c.usedBytes).padStart(10)} of ${
        formatBytes(c.capacityBytes)
      }  ${c.hits} hits ${c.misses} misses`,
    );
  }
  lines.push(
    `links  ${LINKS.map((l) => `${l.label} ${formatRate(s.links[l.name].rate)}`).join("  ·  ")}` +
      "  (per simulated second)",
  );
  lines.push(`shaped ${achievedText(s)}`);
  return lines;
}

/** Achieved ÷ shaped per link class, and whether this machine holds the scale. */
function achievedText(s: TimelineSnapshot): string {
  const short = shortClasses(s.achieved).length > 0;
  return `achieved ÷ shaped rate: ${ratesText(s.achieved)}` +
    (short ? ` — SHORT: this machine does not hold --scale ${s.scenario.scale}` : "");
}

/**
 * One line for logs and pipes.
 *
 * @example
 * ```ts
 * progressLine(timeline.snapshot()); // "progress 4.0 s: running, 130/240 files (54.2 %), ..."
 * ```
 */
export function progressLine(s: TimelineSnapshot): string {
  return `progress ${
    s.wallSeconds.toFixed(1)
  } s: ${s.phase}, ${s.filesDone}/${s.filesTotal} files (${
    pct(s.filesTotal ? s.filesDone / s.filesTotal : 0)
  }), sim ${s.simSeconds.toFixed(0)} s, hit ratio ${pct(s.hitRatio)}, ${
    LINKS.map((l) => `${l.label} ${formatRate(s.links[l.name].rate)}`).join(", ")
  }; ${achievedText(s)}`;
}

/**
 * One JSON log record of the progress, for `--log-format json` when the
 * output is no terminal.
 *
 * @example
 * ```ts
 * JSON.parse(progressRecord(timeline.snapshot())).msg; // "progress"
 * ```
 */
export function progressRecord(s: TimelineSnapshot): string {
  const rates: Record<string, number> = {};
  for (const l of LINKS) rates[l.name] = Math.round(s.links[l.name].rate);
  return JSON.stringify({
    t: new Date().toISOString(),
    level: "info",
    role: "run",
    msg: "progress",
    phase: s.phase,
    wallSeconds: Number(s.wallSeconds.toFixed(3)),
    simSeconds: Number(s.simSeconds.toFixed(3)),
    filesDone: s.filesDone,
    filesTotal: s.filesTotal,
    hitRatio: Number(s.hitRatio.toFixed(4)),
    bytesPerSimSecond: rates,
    achievedOfShaped: Object.fromEntries(LINKS.map((l) => [l.name, s.achieved[l.name].achieved])),
    short: shortClasses(s.achieved),
  });
}

/**
 * Draws a run's progress from its timeline: in place on a TTY (every
 * 200 ms), otherwise a line (plain, or a JSON record) every `lineMs` (5 s).
 *
 * @example
 * ```ts
 * const progress = new Progress(timeline, process.stdout);
 * progress.start();
 * // ... the run ...
 * progress.finish();
 * ```
 */
export class Progress {
  readonly #out: Out;
  readonly #timeline: RunTimeline;
  readonly #lineMs: number;
  readonly #json: boolean;
  #drawn = 0;
  #timer: ReturnType<typeof setInterval> | undefined;

  /**
   * @param timeline what to draw
   * @param out where (stdout, or stderr when stdout carries JSON)
   * @param options `lineMs`: how often a line is printed when `out` is no TTY (default 5000);
   *   `json`: those lines as JSON log records
   */
  constructor(timeline: RunTimeline, out: Out, options: { lineMs?: number; json?: boolean } = {}) {
    this.#out = out;
    this.#timeline = timeline;
    this.#lineMs = options.lineMs ?? 5000;
    this.#json = options.json === true;
  }

  /** True when drawing in place. */
  get live(): boolean {
    return this.#out.isTTY === true;
  }

  /** Starts drawing. */
  start(): void {
    this.#timer ??= setInterval(() => this.#draw(), this.live ? 200 : this.#lineMs);
  }

  /** Writes `text` (whole lines) above the progress block, which is then drawn again. */
  above(write: () => void): void {
    if (!this.live || !this.#drawn) return write();
    this.#out.write(`\x1b[${this.#drawn}A\x1b[J`);
    this.#drawn = 0;
    write();
    this.#draw();
  }

  #draw(): void {
    const s = this.#timeline.snapshot();
    if (!this.live) {
      this.#out.write((this.#json ? progressRecord(s) : progressLine(s)) + "\n");
      return;
    }
    const width = this.#out.columns ?? 100;
    const lines = progressLines(s, width).map((l) => l.length > width ? l.slice(0, width - 1) : l);
    if (this.#drawn) this.#out.write(`\x1b[${this.#drawn}A`);
    this.#out.write(lines.map((l) => `\x1b[2K${l}\n`).join(""));
    this.#drawn = lines.length;
  }

  /** Stops and draws the final state (on a TTY the block stays on screen). */
  finish(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#draw();
  }
}
