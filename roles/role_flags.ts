/**
 * The flags of the three roles (`foresight data|cache|client`, and
 * `roles/data.ts`, `roles/cache.ts`, `roles/client.ts`) and their `--help`.
 *
 * @module
 */

import process from "node:process";
import * as v from "valibot";
import { CONNECT_DEADLINE_MS, DEFAULT_MAX_CONNECTIONS, IDLE_MS } from "../live/limits.ts";
import { adminFlags, commonFlags, runtimeFlag, scenarioFlags } from "./common.ts";
import { type Flags, flagsHelp, type FlagSpecs, resolveFlags } from "./flags.ts";
import { cacheDemandFlag, dirFlag, outFlag, wantFlag } from "./store_flags.ts";
import { ROLE_COMMAND } from "./role_command.ts";
import { SEND_DEFAULTS } from "../live/send_tuning.ts";

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

/** A role's name, as its command has it. */
export type RoleName = keyof typeof ROLE_FLAGS;

/** Each role's flags. */
export const ROLE_FLAGS = {
  origin: {
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
  origin: "foresight data — the origin (data server)",
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
export function roleUsage(role: RoleName): string {
  return `${TITLE[role]}\n\nusage: foresight ${ROLE_COMMAND[role]} [flags]\n\n${
    flagsHelp(ROLE_FLAGS[role])
  }`;
}

/** The flags of `role` from `argv`, the environment and `--config`; `--help` prints the usage and exits. */
export function resolveRoleFlags(role: RoleName, argv: string[]): Flags {
  const flags = resolveFlags(argv, ROLE_FLAGS[role]);
  if (flags.values.help) {
    process.stdout.write(roleUsage(role) + "\n");
    process.exit(0);
  }
  return flags;
}
