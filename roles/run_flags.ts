/**
 * The flags of `foresight run`, its `--help` text, and the checked settings
 * they give.
 *
 * @module
 */

import * as v from "valibot";
import type { LogLevel } from "../core/run/log.ts";
import type { Scenario } from "../core/run/scenario.ts";
import { ForesightError } from "../errors.ts";
import { IDLE_MS } from "../live/limits.ts";
import { commonFlags, scenarioFlags, scenarioFrom, wholeFrom } from "./common.ts";
import { type Flags, flagsHelp } from "./flags.ts";
import { RUNTIME_CHOICES, runtimeOf } from "./role_command.ts";
import { dirFlag, outFlag, pathFlag } from "./store_flags.ts";
import { workloadFlags } from "./demand_workload.ts";

const port = v.pipe(v.number(), v.safeInteger(), v.minValue(0), v.maxValue(65535));

/**
 * `foresight run --scale`: a positive number, or `auto` (a short calibration
 * picks the largest scale this machine holds for the scenario: roles/scale_auto.ts).
 * Flag and environment values arrive as strings, a config file's as JSON.
 *
 * @example
 * ```ts
 * v.parse(RunScaleSchema, "auto"); // "auto"
 * v.parse(RunScaleSchema, "12.5"); // 12.5
 * v.safeParse(RunScaleSchema, "fast").success; // false
 * ```
 */
export const RunScaleSchema: v.GenericSchema<unknown, number | "auto"> = v.union([
  v.literal("auto"),
  v.pipe(
    v.union([v.number(), v.pipe(v.string(), v.regex(/^\s*[-+0-9.eE]+\s*$/), v.transform(Number))]),
    v.number(),
    v.finite(),
    v.gtValue(0),
    v.maxValue(1_000_000),
  ),
], "expected a positive number or auto");

/** The flags of `foresight run`. */
export const RUN_FLAGS = {
  ...scenarioFlags,
  scale: {
    ...scenarioFlags.scale,
    arg: "X|auto",
    help: "wall-clock speed-up: links run X times faster, simulated time = wall time × X; " +
      "auto: a short calibration (the scenario's own roles on a shortened request list, " +
      "against the simulator, at up to 3 candidate scales) picks the largest scale up to 20 " +
      "at which this machine keeps within 3 % of the simulation, then runs at it",
    config: RunScaleSchema,
  },
  ...dirFlag,
  demand: {
    ...workloadFlags.demand,
    help: workloadFlags.demand.help + "; each client is handed the file as its --want",
  },
  out: {
    ...outFlag.out,
    help: "keep each client's verified files under DIR/client-K (K: its index); files " +
      "already there with the right bytes are not fetched again",
  },
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
  /** The scenario; with `--scale auto`, at the default scale until the calibration chose one. */
  readonly scenario: Scenario;
  /** True for `--scale auto`. */
  readonly scaleAuto: boolean;
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
  /** The folder the origin serves (`--dir`), if any. */
  readonly dir: string | undefined;
  /** Where clients keep their verified files (`--out`: one sub-folder each), if anywhere. */
  readonly out: string | undefined;
  /** Each client's list (`--demand`), if not drawn from the seed. */
  readonly demand: string | undefined;
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
  const scale = v.safeParse(RunScaleSchema, values.scale);
  if (!scale.success) {
    throw new ForesightError(
      "CONFIG",
      `Cannot use ${from("scale")} "${values.scale}": expected a positive number or auto`,
    );
  }
  const scaleAuto = scale.output === "auto";
  const scenario = scenarioFrom(scaleAuto ? { ...values, scale: undefined } : values, from);
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
  runtimeOf(runtime, "origin");
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
    scaleAuto,
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
    dir: pathFlag(values.dir),
    out: pathFlag(values.out),
    demand: pathFlag(values.demand),
    traceInputs: typeof values["trace-inputs"] === "string" && values["trace-inputs"] !== ""
      ? values["trace-inputs"]
      : undefined,
  };
}
