/**
 * `foresight run`: its main — live progress in the terminal, the optional
 * dashboard and admin APIs, the lower bound, the report on stdout and in
 * files. Its flags and settings: roles/run_flags.ts.
 *
 * @module
 */

import process from "node:process";
import { resolve } from "node:path";
import type { Logger } from "../core/run/log.ts";
import type { RoleEvent } from "../protocol/role_event.ts";
import { RunTimeline } from "../report/run_timeline.ts";
import { renderReport, type RunReport } from "../report/run_report.ts";
import { stderrLogger } from "./common.ts";
import { resolveFlags } from "./flags.ts";
import { Progress } from "./progress.ts";
import { writeRunReport } from "./report_files.ts";
import type { Role } from "./role_command.ts";
import { type RunDashboard, startDashboard } from "./run_dashboard.ts";
import { RUN_FLAGS, type RunSettings, runSettings, runUsage } from "./run_flags.ts";
import { RunLowerBound } from "./run_lower_bound.ts";
import type { BoundWorkload } from "./bound_thread.ts";
import { openDir } from "./store_flags.ts";
import { workloadFrom } from "./demand_workload.ts";
import { INTERRUPT_EXIT_CODES, randomSecret, runScenario } from "./run.ts";
import { calibrateScale } from "./scale_auto.ts";
import type { ScaleChoice } from "../report/scale_choice.ts";
import { ratesText, shortfallWarning } from "../report/link_rates.ts";

/**
 * `foresight run` main: returns the exit code (0 ok, 1 the run failed, 130 or
 * 143 when SIGINT or SIGTERM interrupted it: every role stopped, the partial
 * report printed and written); throws CONFIG for bad flags.
 *
 * @example
 * ```ts
 * process.exit(await runMainCli(["--dashboard", "--files", "300", "--requests", "60"]));
 * ```
 */
export async function runMainCli(argv: string[]): Promise<number> {
  const flags = resolveFlags(argv, RUN_FLAGS);
  if (flags.values.help) {
    process.stdout.write(runUsage() + "\n");
    return 0;
  }
  let o = runSettings(flags);
  // The roles may run elsewhere than here: absolute paths.
  o = {
    ...o,
    dir: o.dir && resolve(o.dir),
    out: o.out && resolve(o.out),
    demand: o.demand && resolve(o.demand),
  };
  // What the lower bound reads beyond the scenario: the demand's lists, the folder's sizes.
  let workload: BoundWorkload = {};
  if (o.demand !== undefined) {
    // Checked whole before anything starts: names, ids, duplicates, empty lists.
    const w = await workloadFrom({ ...flags.values, dir: o.dir }, flags.from);
    o = { ...o, scenario: w.scenario };
    workload = { lists: w.lists, sizes: w.store?.list().map((f) => f.size) };
  } else if (o.dir !== undefined) {
    const log = stderrLogger("run", o.logLevel, o.logFormat);
    const { store, scenario } = await openDir(o.dir, o.scenario, log);
    o = { ...o, scenario };
    workload = { sizes: store.list().map((f) => f.size) };
  }
  // A signal is the user's: noted from here on (runScenario stops the roles on it), so that
  // whatever was done is still reported.
  let caught: NodeJS.Signals | undefined;
  let signalled!: () => void;
  const signal = new Promise<void>((resolve) => (signalled = resolve));
  const onSignal = (s: NodeJS.Signals) => {
    caught ??= s;
    signalled();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    return await runWith(o, workload, () => caught, signal);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

/** The exit code of a run a signal interrupted. */
function interruptCode(signal: string): number {
  return signal === "SIGTERM" ? INTERRUPT_EXIT_CODES.SIGTERM : INTERRUPT_EXIT_CODES.SIGINT;
}

/** Where the run's own lines go: above the progress when both share a terminal. */
interface RunLog {
  /** The roles' log lines and the run's, whole lines. */
  readonly writeLog: (text: string) => void;
  /** An info record of the run, always shown: JSON, or `text` after "foresight run: ". */
  readonly note: (msg: string, fields: Record<string, unknown>, text: string) => void;
}

/** One line the run itself says: a JSON info record, or `text` after "foresight run: ". */
function noteLine(
  format: RunSettings["logFormat"],
  msg: string,
  fields: Record<string, unknown>,
  text: string,
): string {
  if (format !== "json") return `foresight run: ${text}\n`;
  return JSON.stringify({
    t: new Date().toISOString(),
    level: "info",
    role: "run",
    msg,
    ...fields,
  }) +
    "\n";
}

function runLog(o: RunSettings, progress: Progress): RunLog {
  // Log lines go above the progress block when both share a terminal.
  const shared = progress.live && process.stderr.isTTY === true;
  const writeLog = (text: string) =>
    shared ? progress.above(() => process.stderr.write(text)) : void process.stderr.write(text);
  const note = (msg: string, fields: Record<string, unknown>, text: string) =>
    writeLog(noteLine(o.logFormat, msg, fields, text));
  return { writeLog, note };
}

/**
 * The run's shared secret: the user's, or one made for the run and never shown. Every role
 * proves it, so no stranger can take a place in the run.
 */
function runSecret(o: RunSettings, log: Logger): string {
  const secret = o.secret ?? randomSecret();
  if (o.secret === undefined && o.adminPort !== undefined) {
    log.log(
      "warn",
      "the admin APIs want the run's shared secret as a bearer token (all but /health); " +
        "this run made its own, which is not shown: set FORESIGHT_SECRET to choose one",
    );
  }
  return secret;
}

/** What the run does with each role's event: the timeline records it; some are logged. */
function onRoleEvent(
  o: RunSettings,
  timeline: RunTimeline,
  log: Logger,
  bound: RunLowerBound,
  now: () => number,
): (who: { role: Role; index: number; pid: number }, e: RoleEvent) => void {
  return (who: { role: Role; index: number; pid: number }, e: RoleEvent): void => {
    timeline.record(who, e, now());
    if (e.event === "admin") {
      log.log("info", "admin API", { role: who.role, index: who.index, port: e.port });
    }
    if (e.event === "listening" && who.role === "origin") {
      log.log("info", "origin listening", { host: o.host, port: e.port });
    }
    if (e.event === "start" && who.role === "origin") bound.start();
  };
}

/** Runs the scenario with the progress, dashboard and bound; returns the exit code. */
async function runWith(
  given: RunSettings,
  workload: BoundWorkload,
  caught: () => NodeJS.Signals | undefined,
  signal: Promise<void>,
): Promise<number> {
  const log = stderrLogger("run", given.logLevel, given.logFormat);
  const secret = runSecret(given, log);
  const choice = given.scaleAuto ? await chooseScale(given, secret, caught) : undefined;
  const stopped = caught();
  if (given.scaleAuto && choice === undefined && stopped !== undefined) {
    process.stderr.write(`foresight run: interrupted by ${stopped} while choosing the scale\n`);
    return interruptCode(stopped);
  }
  const o = choice ? { ...given, scenario: { ...given.scenario, scale: choice.scale } } : given;
  const now = () => performance.now() / 1000;
  const timeline = new RunTimeline(o.scenario, now());
  // With --json the report owns stdout: progress goes to stderr, with the logs.
  const progress = new Progress(timeline, o.json ? process.stderr : process.stdout, {
    json: o.logFormat === "json",
  });
  const { writeLog, note } = runLog(o, progress);
  const bound = new RunLowerBound(o.scenario, log, workload);
  let board: RunDashboard | undefined;
  if (o.dashboard) {
    board = await startDashboard(
      timeline,
      { hostname: o.host, port: o.dashboardPort },
      () => bound.shown,
    );
    // Always shown, whatever the log level: the one thing to click.
    note("dashboard listening", { url: board.url }, `dashboard at ${board.url}`);
  }
  const early = caught();
  if (early !== undefined) {
    await board?.close();
    process.stderr.write(`foresight run: interrupted by ${early} before the run started\n`);
    return interruptCode(early);
  }
  let ticks = 0;
  const ticker = setInterval(() => {
    timeline.tick(now());
    if (++ticks % 3 === 0) board?.publish();
  }, 100);
  progress.start();
  let report: RunReport | undefined;
  try {
    report = await runScenario(o.scenario, {
      runtime: o.runtime,
      host: o.host,
      logLevel: o.logLevel,
      logFormat: o.logFormat,
      timeoutS: o.timeoutS,
      idleMs: o.idleMs,
      dir: o.dir,
      out: o.out,
      want: o.demand,
      traceInputs: o.traceInputs,
      adminPort: o.adminPort,
      secret,
      writeLog,
      onEvent: onRoleEvent(o, timeline, log, bound, now),
    });
    if (choice) {
      report.scaleChoice = choice;
      const warning = shortfallWarning(report.linkRates!, choice.scale, true);
      if (warning) report.linkShortfall = warning;
    }
    await bound.addTo(report, signal);
  } finally {
    bound.stop();
    clearInterval(ticker);
    timeline.finish(report?.ok === true, now());
    progress.finish();
    await board?.close();
  }
  return finish(o, report, timeline, note);
}

/**
 * `--scale auto`: the calibration's trials and its choice, each told on
 * stderr whatever the log level (the user asked for it); undefined when a
 * signal interrupted it.
 */
async function chooseScale(
  o: RunSettings,
  secret: string,
  caught: () => NodeJS.Signals | undefined,
): Promise<ScaleChoice | undefined> {
  const tell = (msg: string, fields: Record<string, unknown>, text: string) =>
    process.stderr.write(noteLine(o.logFormat, msg, fields, text));
  tell(
    "choosing the scale",
    {},
    "--scale auto: a shortened run of the scenario at candidate scales, each against its simulation",
  );
  const choice = await calibrateScale(o.scenario, {
    runtime: o.runtime,
    host: o.host,
    secret,
    interrupted: () => caught() !== undefined,
    onTrial: (t) =>
      tell(
        "scale trial",
        {
          scale: t.scale,
          requests: t.requests,
          liveSeconds: t.liveSeconds,
          cutOff: t.cutOff === true,
          simSeconds: t.simSeconds,
          pace: t.achieved,
          wallSeconds: t.wallSeconds,
        },
        `--scale auto: ×${t.scale}, ${t.requests} requests per client: ` +
          `${t.cutOff ? "stopped after " : ""}${t.liveSeconds.toFixed(1)} s live vs ` +
          `${t.simSeconds.toFixed(1)} s simulated ` +
          `(links ${ratesText(t.rates)}; ${t.wallSeconds} s)`,
      ),
  });
  if (choice) {
    tell(
      "scale chosen",
      { scale: choice.scale, how: choice.how, seconds: choice.seconds },
      `--scale auto: running at ×${choice.scale} (${choice.seconds} s of calibration)`,
    );
  }
  return choice;
}

/** Writes the report files, prints the report, and returns the run's exit code. */
function finish(
  o: RunSettings,
  report: RunReport,
  timeline: RunTimeline,
  note: RunLog["note"],
): number {
  if (o.report) {
    const paths = writeRunReport(o.report, report, timeline);
    note("report written", { files: paths }, `report written to ${paths.join(", ")}`);
  }
  if (o.json) process.stdout.write(JSON.stringify(report) + "\n");
  else process.stdout.write(renderReport(report) + "\n");
  // A signal after the run's end changes nothing: the report stands.
  return report.interrupted !== undefined ? interruptCode(report.interrupted) : report.ok ? 0 : 1;
}
