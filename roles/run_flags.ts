/**
 * The flags of `foresight run`, its `--help` text, and the checked settings
 * they give.
 *
 * @module
 */

import * as v from "valibot";
import type { LogLevel } from "../core/log.ts";
import type { Scenario } from "../core/scenario.ts";
import { ForesightError } from "../errors.ts";
import { IDLE_MS } from "../live/limits.ts";
import { commonFlags, scenarioFlags, scenarioFrom, wholeFrom } from "./common.ts";
import { type Flags, flagsHelp } from "./flags.ts";
import { RUNTIME_CHOICES, runtimeOf } from "./role_command.ts";

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
  "trace-inputs": {
    type: "string",
    arg: "DIR",
    defaultText: "none",
    help: "every role writes the inputs its engine handled to DIR/<role>-<n>.jsonl " +
      "(compare with the simulator: bench/trace_diff.ts DIR)",
    config: v.string(),
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

/** The checked settings of `foresight run`. */
export interface RunSettings {
  readonly scenario: Scenario;
  /** node, deno, bun or mixed. */
  readonly runtime: string;
  readonly host: string;
  readonly logLevel: LogLevel;
  readonly logFormat: "pretty" | "json";
  readonly timeoutS: number;
  readonly idleMs: number;
  /** The first admin port (0: each role picks one); none: no admin servers. */
  readonly adminPort: number | undefined;
  readonly dashboard: boolean;
  readonly dashboardPort: number;
  /** The folder for the report files, if any. */
  readonly report: string | undefined;
  /** The shared secret the user gave, if any. */
  readonly secret: string | undefined;
  /** The report as JSON on stdout. */
  readonly json: boolean;
  /** The folder for the roles' input traces, if any. */
  readonly traceInputs: string | undefined;
}

/**
 * The checked settings of `foresight run`, from its resolved flags.
 *
 * @param flags the resolved {@link RUN_FLAGS}
 * @returns the scenario and every setting of the run
 * @throws {ForesightError} CONFIG for a flag out of range (the message names the flag, or its
 *   variable or config key)
 * @example
 * ```ts
 * const o = runSettings(resolveFlags(["--files", "300"], RUN_FLAGS)); // o.scenario.files === 300
 * ```
 */
export function runSettings(flags: Flags): RunSettings {
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
    traceInputs: typeof values["trace-inputs"] === "string" && values["trace-inputs"] !== ""
      ? values["trace-inputs"]
      : undefined,
  };
}
