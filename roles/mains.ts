/**
 * The three roles' main functions: flags in, a running role, a summary out.
 * `roles/data.ts`, `roles/cache.ts` and `roles/client.ts` call these; so does
 * `foresight data|cache|client`. Each role also serves its admin API on
 * `--admin-port` and prints a stats event every `--stats-ms`. Their flags:
 * roles/role_flags.ts.
 *
 * @module
 */

import { readFileSync } from "node:fs";
import { runOrigin } from "../live/origin.ts";
import { runCache } from "../live/cache.ts";
import { runClient } from "../live/client.ts";
import type { Logger, LogLevel } from "../core/run/log.ts";
import { type Clock, offsetClock, realClock } from "../core/run/clock.ts";
import type { Shaping } from "../core/links/pacer.ts";
import { ForesightError } from "../errors.ts";
import {
  adapterFor,
  emitEvent,
  parseAddress,
  runMain,
  scenarioFrom,
  stderrLogger,
  wholeFrom,
} from "./common.ts";
import type { Flags } from "./flags.ts";
import { startRoleAdmin } from "./role_admin.ts";
import { resolveRoleFlags } from "./role_flags.ts";
import { openDir, pathFlag } from "./store_flags.ts";
import { DirSink } from "../store/dir_sink.ts";
import { nodeSha256 } from "../store/node_sha256.ts";
import { InputTraceFile } from "./input_trace_file.ts";
import { SEND_DEFAULTS, type SendTuning } from "../live/send_tuning.ts";

/**
 * The logger a role's flags ask for.
 *
 * @throws {ForesightError} CONFIG for a level or format that does not exist
 *
 * @example
 * ```ts
 * loggerFrom("origin", resolveRoleFlags("origin", ["--log-format", "json"])).log("info", "hi");
 * ```
 */
export function loggerFrom(role: string, flags: Flags): Logger {
  const { values, from } = flags;
  const level = String(values["log-level"] ?? "info");
  const format = String(values["log-format"] ?? "pretty");
  if (!["debug", "info", "warn", "error"].includes(level)) {
    throw new ForesightError(
      "CONFIG",
      `Cannot use ${from("log-level")} "${level}": expected debug, info, warn or error`,
    );
  }
  if (format !== "json" && format !== "pretty") {
    throw new ForesightError(
      "CONFIG",
      `Cannot use ${from("log-format")} "${format}": expected pretty or json`,
    );
  }
  return stderrLogger(role, level as LogLevel, format);
}

function readText(path: string, flag: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    throw new ForesightError("CONFIG", `Cannot read ${flag} ${path}: ${(e as Error).message}`, {
      cause: e,
    });
  }
}

function secret(flags: Flags): string | undefined {
  const s = flags.values.secret;
  return typeof s === "string" && s !== "" ? s : undefined;
}

function shaping(flags: Flags): Shaping {
  const raw = String(flags.values.shaping ?? "pacer");
  if (raw !== "pacer" && raw !== "none") {
    throw new ForesightError(
      "CONFIG",
      `Cannot use ${flags.from("shaping")} "${raw}": expected pacer or none`,
    );
  }
  return raw;
}

/** `--chunk-bytes` and `--pacer-slot-ms`. */
function tuning(flags: Flags): SendTuning {
  const slot = Number(flags.values["pacer-slot-ms"] ?? SEND_DEFAULTS.pacerSlotMs);
  if (!(Number.isFinite(slot) && slot >= 0)) {
    throw new ForesightError(
      "CONFIG",
      `Cannot use ${flags.from("pacer-slot-ms")} "${flags.values["pacer-slot-ms"]}": ` +
        "expected a number of ms >= 0",
    );
  }
  return {
    chunkBytes: wholeFrom(flags.values["chunk-bytes"], flags.from("chunk-bytes"), 1, 1_048_572),
    pacerSlotMs: slot,
  };
}

/** The role's clock: the real one, moved by `--clock-offset-ms` (a diagnostic). */
function clock(flags: Flags): Clock {
  const day = 86_400_000;
  const ms = wholeFrom(
    flags.values["clock-offset-ms"] ?? "0",
    flags.from("clock-offset-ms"),
    -day,
    day,
  );
  return offsetClock(realClock, ms);
}

function traceOf(flags: Flags): string | undefined {
  const path = flags.values["trace-inputs"];
  return typeof path === "string" && path !== "" ? path : undefined;
}

function index(flags: Flags): number | undefined {
  const raw = flags.values.index;
  return raw === undefined ? undefined : wholeFrom(raw, flags.from("index"), 0);
}

/**
 * `foresight data`: the origin.
 *
 * @example
 * ```ts
 * await originMain(["--listen", "127.0.0.1:0", "--admin-port", "0"]);
 * ```
 */
export function originMain(argv: string[]): Promise<never> {
  return runMain("origin", async () => {
    const flags = resolveRoleFlags("origin", argv);
    const log = loggerFrom("origin", flags);
    const dir = pathFlag(flags.values.dir);
    const asked = scenarioFrom(flags.values, flags.from);
    const { store, scenario } = dir === undefined
      ? { store: undefined, scenario: asked }
      : await openDir(dir, asked, log);
    const adapter = await adapterFor(flags.values);
    const listen = parseAddress(String(flags.values.listen), "listen");
    const admin = await startRoleAdmin("origin", flags, log, { files: () => scenario.files });
    const trace = new InputTraceFile("origin", traceOf(flags));
    try {
      const summary = await runOrigin({
        scenario,
        store,
        adapter,
        log,
        listen,
        clock: clock(flags),
        shaping: shaping(flags),
        tuning: tuning(flags),
        onListening: (a) =>
          emitEvent({ event: "listening", role: "origin", host: a.host, port: a.port }),
        onEvent: emitEvent,
        onView: admin.attach,
        secret: secret(flags),
        maxConnections: wholeFrom(
          flags.values["max-connections"],
          flags.from("max-connections"),
          1,
        ),
        idleMs: wholeFrom(flags.values["idle-ms"], flags.from("idle-ms"), 1),
        traceInputs: trace.record,
      });
      trace.write(0, scenario);
      return { ...summary, scenario };
    } finally {
      await admin.stop();
    }
  });
}

/**
 * `foresight cache`: a cache server.
 *
 * @example
 * ```ts
 * await cacheMain(["--origin", "127.0.0.1:9000", "--admin-port", "0"]);
 * ```
 */
export function cacheMain(argv: string[]): Promise<never> {
  return runMain("cache", async () => {
    const flags = resolveRoleFlags("cache", argv);
    const { values } = flags;
    const log = loggerFrom("cache", flags);
    const adapter = await adapterFor(values);
    const at = index(flags);
    const options = {
      origin: parseAddress(String(values.origin), "origin"),
      listen: parseAddress(String(values.listen), "listen"),
      advertise: values.advertise ? parseAddress(String(values.advertise), "advertise") : undefined,
    };
    const demandPath = pathFlag(values.demand);
    const demand = demandPath === undefined
      ? undefined
      : { text: readText(demandPath, "--demand"), source: demandPath };
    const admin = await startRoleAdmin("cache", flags, log, { index: at });
    const trace = new InputTraceFile("cache", traceOf(flags));
    try {
      const summary = await runCache({
        adapter,
        log,
        ...options,
        index: at,
        demand,
        clock: clock(flags),
        shaping: shaping(flags),
        tuning: tuning(flags),
        onEvent: emitEvent,
        onView: admin.attach,
        secret: secret(flags),
        maxConnections: wholeFrom(values["max-connections"], flags.from("max-connections"), 1),
        connectDeadlineMs: wholeFrom(
          values["connect-deadline-ms"],
          flags.from("connect-deadline-ms"),
          1,
        ),
        idleMs: wholeFrom(values["idle-ms"], flags.from("idle-ms"), 1),
        traceInputs: trace.record,
      });
      trace.write(summary.index);
      return summary;
    } finally {
      await admin.stop();
    }
  });
}

/**
 * `foresight client`: a client.
 *
 * @example
 * ```ts
 * await clientMain(["--origin", "127.0.0.1:9000"]);
 * ```
 */
export function clientMain(argv: string[]): Promise<never> {
  return runMain("client", async () => {
    const flags = resolveRoleFlags("client", argv);
    const log = loggerFrom("client", flags);
    const adapter = await adapterFor(flags.values);
    const at = index(flags);
    const origin = parseAddress(String(flags.values.origin), "origin");
    const out = pathFlag(flags.values.out);
    const wantPath = pathFlag(flags.values.want);
    const want = wantPath === undefined
      ? undefined
      : { text: readText(wantPath, "--want"), source: wantPath };
    const admin = await startRoleAdmin("client", flags, log, { index: at });
    const trace = new InputTraceFile("client", traceOf(flags));
    try {
      const summary = await runClient({
        adapter,
        log,
        origin,
        index: at,
        sink: out === undefined ? undefined : new DirSink(out),
        sha256: nodeSha256,
        want,
        clock: clock(flags),
        onEvent: emitEvent,
        onView: admin.attach,
        secret: secret(flags),
        connectDeadlineMs: wholeFrom(
          flags.values["connect-deadline-ms"],
          flags.from("connect-deadline-ms"),
          1,
        ),
        idleMs: wholeFrom(flags.values["idle-ms"], flags.from("idle-ms"), 1),
        traceInputs: trace.record,
      });
      trace.write(summary.index);
      return summary;
    } finally {
      await admin.stop();
    }
  });
}
