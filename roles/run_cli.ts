/**
 * `foresight run`: flags, live progress in the terminal, the optional
 * dashboard and admin APIs, the report on stdout and in files.
 *
 * @module
 */

import process from "node:process";
import * as v from "valibot";
import type { LogLevel } from "../core/log.ts";
import { ForesightError } from "../errors.ts";
import { IDLE_MS } from "../live/limits.ts";
import { RunTimeline } from "../admin/run_timeline.ts";
import type { DashboardBound } from "../admin/dashboard_app.ts";
import { renderReport, type RunReport } from "./report.ts";
import { boundInWorker, type BoundJob, type TimedBound } from "./bound_thread.ts";
import { reportBound } from "./report_bound.ts";
import { commonFlags, scenarioFlags, scenarioFrom, stderrLogger, wholeFrom } from "./common.ts";
import { type Flags, flagsHelp, resolveFlags } from "./flags.ts";
import { Progress } from "./progress.ts";
import { writeRunReport } from "./report_files.ts";
import { dashboardBound, type RunDashboard, startDashboard } from "./run_dashboard.ts";
import {
  INTERRUPT_EXIT_CODES,
  randomSecret,
  runScenario,
  RUNTIME_CHOICES,
  runtimeOf,
} from "./run.ts";

const port = v.pipe(v.number(), v.safeInteger(), v.minValue(0), v.maxValue(65535));

/** The flags of `foresight run`. */
export const RUN_FLAGS = {
  ...scenarioFlags,
  runtime: {
    type: "string",
    default: "node",
    arg: "R",
    help: "node, deno, bun, or mixed (origin on Deno, caches on Bun, clients on Node)",
    config: v.picklist(RUNTIME_CHOICES),
  },
  host: {
    type: "string",
    default: "127.0.0.1",
    arg: "H",
    help: "loopback address the roles listen on and connect to",
    config: v.string(),
  },
  "admin-port": {
    type: "string",
    arg: "N",
    defaultText: "none: no admin servers",
    help: "serve every role's admin API: 0 lets each pick a port; N gives the origin N, " +
      "cache i N+1+i, client j N+1+caches+j (ports are printed as admin events)",
    config: port,
  },
  dashboard: {
    type: "boolean",
    default: false,
    help: "serve a live dashboard of the run and print its URL on stderr",
    config: v.boolean(),
  },
  "dashboard-port": {
    type: "string",
    default: "0",
    arg: "N",
    help: "the dashboard's port; 0 picks one",
    config: port,
  },
  report: {
    type: "string",
    arg: "DIR",
    defaultText: "none",
    help: "write report.json, report.md and SVG charts (links, caches, clients) into DIR",
    config: v.string(),
  },
  secret: {
    type: "string",
    arg: "S",
    defaultText: "a random one for each run, never shown",
    help: "shared secret the roles prove to each other (handed to them in FORESIGHT_SECRET), " +
      "so no stranger can join the run; the admin APIs want it as a bearer token; " +
      "prefer FORESIGHT_SECRET here too, as flags show in the process list",
    config: v.string(),
  },
  json: {
    type: "boolean",
    default: false,
    help: "print the report as JSON on stdout (progress goes to stderr)",
    config: v.boolean(),
  },
  "idle-ms": {
    type: "string",
    arg: "MS",
    default: String(IDLE_MS),
    help: "every role's idle limit: a connection on which nothing arrived for MS milliseconds " +
      "is closed, so a stopped or silent role is dropped (and then stopped by the run)",
    config: v.pipe(v.number(), v.safeInteger(), v.minValue(1)),
  },
  timeout: {
    type: "string",
    default: "1800",
    arg: "S",
    help: "give up after S wall seconds",
    config: v.pipe(v.number(), v.gtValue(0)),
  },
  ...commonFlags,
  "log-level": {
    ...commonFlags["log-level"],
    default: "warn",
    help: "the roles' log level on stderr: debug, info, warn, error",
  },
} as const;

/**
 * The `--help` text of `foresight run`.
 *
 * @example
 * ```ts
 * process.stdout.write(runUsage() + "\n");
 * ```
 */
export function runUsage(): string {
  return `foresight run — the scenario, every role its own process, live progress and a report

usage: foresight run [flags]

${flagsHelp(RUN_FLAGS)}`;
}

/** The checked settings of `foresight run`, from its resolved flags. */
function settings(flags: Flags) {
  const { values, from } = flags;
  const scenario = scenarioFrom(values, from);
  const logLevel = String(values["log-level"]);
  if (!["debug", "info", "warn", "error"].includes(logLevel)) {
    throw new ForesightError(
      "CONFIG",
      `Cannot use ${from("log-level")} "${logLevel}": expected debug, info, warn or error`,
    );
  }
  const logFormat = String(values["log-format"]);
  if (logFormat !== "pretty" && logFormat !== "json") {
    throw new ForesightError(
      "CONFIG",
      `Cannot use ${from("log-format")} "${logFormat}": expected pretty or json`,
    );
  }
  const runtime = String(values.runtime);
  runtimeOf(runtime, "data");
  const timeoutS = Number(values.timeout);
  if (!(timeoutS > 0)) {
    throw new ForesightError(
      "CONFIG",
      `Cannot use ${from("timeout")} "${values.timeout}": expected a positive number of seconds`,
    );
  }
  const adminPort = values["admin-port"] === undefined ? undefined : wholeFrom(
    values["admin-port"],
    from("admin-port"),
    0,
    65535 - scenario.caches - scenario.clients,
  );
  const dashboardPort = wholeFrom(values["dashboard-port"], from("dashboard-port"), 0, 65535);
  const idleMs = wholeFrom(values["idle-ms"], from("idle-ms"), 1);
  return {
    scenario,
    runtime,
    host: String(values.host),
    logLevel: logLevel as LogLevel,
    logFormat: logFormat as "pretty" | "json",
    timeoutS,
    idleMs,
    adminPort,
    dashboard: values.dashboard === true,
    dashboardPort,
    report: typeof values.report === "string" && values.report !== "" ? values.report : undefined,
    secret: typeof values.secret === "string" && values.secret !== "" ? values.secret : undefined,
    json: values.json === true,
  };
}

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
  const o = settings(flags);
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
    return await runWith(o, () => caught, signal);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

/** The exit code of a run a signal interrupted. */
function interruptCode(signal: string): number {
  return signal === "SIGTERM" ? INTERRUPT_EXIT_CODES.SIGTERM : INTERRUPT_EXIT_CODES.SIGINT;
}

async function runWith(
  o: ReturnType<typeof settings>,
  caught: () => NodeJS.Signals | undefined,
  signal: Promise<void>,
): Promise<number> {
  const now = () => performance.now() / 1000;
  const timeline = new RunTimeline(o.scenario, now());
  const log = stderrLogger("run", o.logLevel, o.logFormat);
  // With --json the report owns stdout: progress goes to stderr, with the logs.
  const progress = new Progress(timeline, o.json ? process.stderr : process.stdout, {
    json: o.logFormat === "json",
  });
  // Log lines go above the progress block when both share a terminal.
  const shared = progress.live && process.stderr.isTTY === true;
  const writeLog = (text: string) =>
    shared ? progress.above(() => process.stderr.write(text)) : void process.stderr.write(text);
  const note = (msg: string, fields: Record<string, unknown>, text: string) =>
    writeLog(
      o.logFormat === "json"
        ? JSON.stringify({
          t: new Date().toISOString(),
          level: "info",
          role: "run",
          msg,
          ...fields,
        }) +
          "\n"
        : `foresight run: ${text}\n`,
    );
  // Every role proves a shared secret, so no stranger can take a place in the run. Without
  // one from the user, the run makes its own; it is never shown.
  const secret = o.secret ?? randomSecret();
  if (o.secret === undefined && o.adminPort !== undefined) {
    log.log(
      "warn",
      "the admin APIs want the run's shared secret as a bearer token (all but /health); " +
        "this run made its own, which is not shown: set FORESIGHT_SECRET to choose one",
    );
  }
  // The lower bound, computed once in a worker thread from the clients' start on: never
  // before the roles are up, never blocking the events of the run.
  let job: BoundJob | undefined;
  let known: TimedBound | undefined;
  let shownBound: DashboardBound | null = null;
  let over = false; // past the report: a bound still being computed is given up on, silently
  const startBound = () => {
    job ??= boundInWorker(o.scenario);
    job.result.then((b) => {
      known = b;
      shownBound = dashboardBound(b.bound, o.scenario.clients);
      log.log("info", "lower bound", {
        seconds: b.bound.seconds,
        exact: b.bound.exact,
        computeMs: Math.round(b.computeSeconds * 1000),
      });
    }, (e) => over || log.log("warn", (e as Error).message));
  };
  let board: RunDashboard | undefined;
  if (o.dashboard) {
    board = await startDashboard(
      timeline,
      { hostname: o.host, port: o.dashboardPort },
      () => shownBound,
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
      adminPort: o.adminPort,
      secret,
      writeLog,
      onEvent: (who, e) => {
        timeline.record(who, e, now());
        if (e.event === "admin") {
          log.log("info", "admin API", { role: who.role, index: who.index, port: e.port });
        }
        if (e.event === "listening" && who.role === "data") {
          log.log("info", "origin listening", { host: o.host, port: e.port });
        }
        if (e.event === "start" && who.role === "data") startBound();
      },
    });
    // A run that went to its end waits for its bound (a signal meanwhile gives up on it); an
    // interrupted one takes it only if it is known already.
    const timed = known ??
      (job && report.interrupted === undefined
        ? await Promise.race([job.result.catch(() => undefined), signal.then(() => undefined)])
        : undefined);
    if (timed) {
      report.lowerBound = reportBound(report, timed.bound, timed.computeSeconds);
      shownBound = dashboardBound(report.lowerBound, o.scenario.clients, report.simSeconds);
    }
  } finally {
    over = true;
    job?.stop();
    clearInterval(ticker);
    timeline.finish(report?.ok === true, now());
    progress.finish();
    await board?.close();
  }
  if (o.report) {
    const paths = writeRunReport(o.report, report, timeline);
    note("report written", { files: paths }, `report written to ${paths.join(", ")}`);
  }
  if (o.json) process.stdout.write(JSON.stringify(report) + "\n");
  else process.stdout.write(renderReport(report) + "\n");
  // A signal after the run's end changes nothing: the report stands.
  return report.interrupted !== undefined ? interruptCode(report.interrupted) : report.ok ? 0 : 1;
}
