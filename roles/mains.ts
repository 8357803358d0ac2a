/**
 * The three roles' main functions: flags in, a running role, a summary out.
 * `roles/data.ts`, `roles/cache.ts` and `roles/client.ts` call these; so does
 * `foresight data|cache|client`. Each role also serves its admin API on
 * `--admin-port` and prints a stats event every `--stats-ms`.
 *
 * @module
 */

import process from "node:process";
import { readFileSync } from "node:fs";
import * as v from "valibot";
import { runOrigin } from "../live/origin.ts";
import { runCache } from "../live/cache.ts";
import { runClient } from "../live/client.ts";
import { CONNECT_DEADLINE_MS, DEFAULT_MAX_CONNECTIONS, IDLE_MS } from "../live/limits.ts";
import type { Logger, LogLevel } from "../core/log.ts";
import { type Clock, offsetClock, realClock } from "../core/clock.ts";
import type { Shaping } from "../core/pacer.ts";
import { ForesightError } from "../errors.ts";
import {
  adapterFor,
  adminFlags,
  commonFlags,
  emitEvent,
  parseAddress,
  runMain,
  runtimeFlag,
  scenarioFlags,
  scenarioFrom,
  stderrLogger,
  wholeFrom,
} from "./common.ts";
import { type Flags, flagsHelp, type FlagSpecs, resolveFlags } from "./flags.ts";
import { startRoleAdmin } from "./role_admin.ts";
import { cacheDemandFlag, dirFlag, openDir, outFlag, pathFlag, wantFlag } from "./store_flags.ts";
import { DirSink } from "../store/dir_sink.ts";
import { nodeSha256 } from "../store/node_sha256.ts";
import { InputTraceFile } from "./input_trace_file.ts";
import { SEND_DEFAULTS, type SendTuning } from "../live/send_tuning.ts";

const originFlag = {
  origin: {
    type: "string",
    default: "127.0.0.1:9000",
    arg: "host:port",
    help: "the origin's address",
    config: v.string(),
  },
} as const;
const secretFlag = {
  secret: {
    type: "string",
    arg: "S",
    defaultText: "none: anyone may join",
    help: "shared secret every cache and client proves at the handshake (HMAC); prefer " +
      "FORESIGHT_SECRET, as flags show in the process list",
    config: v.string(),
  },
} as const;
const maxConnectionsFlag = {
  "max-connections": {
    type: "string",
    arg: "N",
    default: String(DEFAULT_MAX_CONNECTIONS),
    help: "most connections open at once; more are refused",
    config: v.pipe(v.number(), v.safeInteger(), v.minValue(1)),
  },
} as const;
const connectDeadlineFlag = {
  "connect-deadline-ms": {
    type: "string",
    arg: "MS",
    default: String(CONNECT_DEADLINE_MS),
    help: "give up reaching the origin (or a cache) after MS milliseconds of retrying",
    config: v.pipe(v.number(), v.safeInteger(), v.minValue(1)),
  },
} as const;
const idleFlag = {
  "idle-ms": {
    type: "string",
    arg: "MS",
    default: String(IDLE_MS),
    help: "close a connection (after its handshake) on which nothing, not even a keepalive " +
      "ping, arrived for MS milliseconds; pings go out after MS/3 of silence",
    config: v.pipe(v.number(), v.safeInteger(), v.minValue(1)),
  },
} as const;
const shapingFlag = {
  shaping: {
    type: "string",
    arg: "pacer|none",
    default: "pacer",
    help: "pacer: pace each link this role sends files on at its rate × scale; none: send " +
      "as fast as the network takes it (shape the links outside, e.g. with tc)",
    config: v.picklist(["pacer", "none"]),
  },
} as const;
const clockOffsetFlag = {
  "clock-offset-ms": {
    type: "string",
    arg: "MS",
    default: "0",
    help: "diagnostic: run this role's clock MS milliseconds ahead (negative: behind), as if " +
      "its machine's clock were off",
    config: v.pipe(v.number(), v.safeInteger()),
  },
} as const;
const tuningFlags = {
  "chunk-bytes": {
    type: "string",
    arg: "N",
    default: String(SEND_DEFAULTS.chunkBytes),
    help: "tuning: payload bytes per chunk frame this role sends, up to 1048572 (the default " +
      "was chosen with bench/tuning.ts)",
    config: v.pipe(v.number(), v.safeInteger(), v.minValue(1), v.maxValue(1_048_572)),
  },
  "pacer-slot-ms": {
    type: "string",
    arg: "MS",
    default: String(SEND_DEFAULTS.pacerSlotMs),
    help: "tuning: the pacer's time grain; bytes whose slot begins within MS go out at once " +
      "(the default was chosen with bench/tuning.ts)",
    config: v.pipe(v.number(), v.minValue(0)),
  },
} as const;
const indexFlag = {
  index: {
    type: "string",
    arg: "N",
    defaultText: "the origin picks",
    help: "ask for this index",
    config: v.pipe(v.number(), v.safeInteger(), v.minValue(0)),
  },
} as const;

const traceFlag = {
  "trace-inputs": {
    type: "string",
    arg: "FILE",
    defaultText: "none",
    help: "write every input this role's engine handled, with its time and effects, to FILE " +
      "as JSON lines (compare with the simulator: bench/trace_diff.ts)",
    config: v.string(),
  },
} as const;

const FLAGS = {
  data: {
    listen: {
      type: "string",
      default: "127.0.0.1:9000",
      arg: "host:port",
      help: "where to listen (port 0 picks one)",
      config: v.string(),
    },
    ...scenarioFlags,
    ...dirFlag,
    ...secretFlag,
    ...maxConnectionsFlag,
    ...idleFlag,
    ...shapingFlag,
    ...tuningFlags,
    ...clockOffsetFlag,
    ...traceFlag,
    ...adminFlags,
    ...runtimeFlag,
    ...commonFlags,
  },
  cache: {
    ...originFlag,
    listen: {
      type: "string",
      default: "127.0.0.1:0",
      arg: "host:port",
      help: "where clients connect (port 0 picks one)",
      config: v.string(),
    },
    advertise: {
      type: "string",
      arg: "host:port",
      defaultText: "the listen address",
      help: "the address clients are given",
      config: v.string(),
    },
    ...indexFlag,
    ...cacheDemandFlag,
    ...secretFlag,
    ...maxConnectionsFlag,
    ...connectDeadlineFlag,
    ...idleFlag,
    ...shapingFlag,
    ...tuningFlags,
    ...clockOffsetFlag,
    ...traceFlag,
    ...adminFlags,
    ...runtimeFlag,
    ...commonFlags,
  },
  client: {
    ...originFlag,
    ...indexFlag,
    ...outFlag,
    ...wantFlag,
    ...secretFlag,
    ...connectDeadlineFlag,
    ...idleFlag,
    ...clockOffsetFlag,
    ...traceFlag,
    ...adminFlags,
    ...runtimeFlag,
    ...commonFlags,
  },
} as const satisfies Record<string, FlagSpecs>;

const TITLE = {
  data: "foresight data — the origin (data server)",
  cache: "foresight cache — a cache server",
  client: "foresight client — a client",
};

/**
 * The `--help` text of a role.
 *
 * @example
 * ```ts
 * console.log(roleUsage("cache"));
 * ```
 */
export function roleUsage(role: keyof typeof FLAGS): string {
  return `${TITLE[role]}\n\nusage: foresight ${role} [flags]\n\n${flagsHelp(FLAGS[role])}`;
}

/**
 * The logger a role's flags ask for.
 *
 * @throws {ForesightError} CONFIG for a level or format that does not exist
 *
 * @example
 * ```ts
 * loggerFrom("data", resolveFlags(["--log-format", "json"], FLAGS.data)).log("info", "hi");
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

function resolve(role: keyof typeof FLAGS, argv: string[]): Flags {
  const flags = resolveFlags(argv, FLAGS[role]);
  if (flags.values.help) {
    process.stdout.write(roleUsage(role) + "\n");
    process.exit(0);
  }
  return flags;
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
 * await dataMain(["--listen", "127.0.0.1:0", "--admin-port", "0"]);
 * ```
 */
export function dataMain(argv: string[]): Promise<never> {
  return runMain("data", async () => {
    const flags = resolve("data", argv);
    const log = loggerFrom("data", flags);
    const dir = pathFlag(flags.values.dir);
    const asked = scenarioFrom(flags.values, flags.from);
    const { store, scenario } = dir === undefined
      ? { store: undefined, scenario: asked }
      : await openDir(dir, asked, log);
    const adapter = await adapterFor(flags.values);
    const listen = parseAddress(String(flags.values.listen), "listen");
    const admin = await startRoleAdmin("data", flags, log, { files: () => scenario.files });
    const trace = new InputTraceFile("data", traceOf(flags));
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
          emitEvent({ event: "listening", role: "data", host: a.host, port: a.port }),
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
    const flags = resolve("cache", argv);
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
    const flags = resolve("client", argv);
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
