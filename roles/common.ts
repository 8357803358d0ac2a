/**
 * What every role entry point shares: flags, logging to stderr, events as
 * JSON lines on stdout, peak memory sampling, exit codes.
 *
 * @module
 */

import process from "node:process";
import type { Address, NetAdapter, RuntimeName } from "../net/types.ts";
import { detectRuntime, loadAdapter } from "../net/select.ts";
import type { LogFields, Logger, LogLevel } from "../core/run/log.ts";
import * as v from "valibot";
import { ForesightError } from "../errors.ts";
import type { FlagSpecs } from "./flags.ts";
import type { RoleEvent, RoleName } from "../protocol/role_event.ts";
import { ROLE_COMMAND } from "./role_command.ts";

export { scenarioFlags, scenarioFrom, scenarioHelp } from "./scenario_flags.ts";

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/**
 * A logger writing one record per line on stderr, as JSON or readable text.
 *
 * @example
 * ```ts
 * stderrLogger("cache", "info", "json").log("info", "registered", { index: 0 });
 * ```
 */
export function stderrLogger(
  role: string,
  level: LogLevel = "info",
  format: "json" | "pretty" = "pretty",
  base: LogFields = {},
): Logger {
  const min = LEVELS[level];
  const make = (fields: LogFields): Logger => ({
    log(lvl, msg, extra) {
      if (LEVELS[lvl] < min) return;
      const rec = { t: new Date().toISOString(), level: lvl, role, msg, ...fields, ...extra };
      if (format === "json") {
        process.stderr.write(JSON.stringify(rec) + "\n");
      } else {
        const kv = Object.entries({ ...fields, ...extra }).map(([k, v]) =>
          `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`
        ).join(" ");
        process.stderr.write(
          `${rec.t.slice(11, 23)} ${lvl.padEnd(5)} [${role}] ${msg}${kv ? " " + kv : ""}\n`,
        );
      }
    },
    child(more) {
      return make({ ...fields, ...more });
    },
  });
  return make(base);
}

/**
 * Writes one event as a JSON line on stdout (the orchestrator reads these).
 *
 * @example
 * ```ts
 * emitEvent({ event: "listening", role: "origin", host: "127.0.0.1", port: 9000 }); // {"event":"listening",...}
 * ```
 */
export function emitEvent(event: RoleEvent): void {
  process.stdout.write(JSON.stringify(event) + "\n");
}

/**
 * Parses "host:port" ("[::1]:9000" for IPv6).
 *
 * @throws {ForesightError} CONFIG naming the flag and the value
 *
 * @example
 * ```ts
 * parseAddress("[::1]:9000", "listen"); // { host: "::1", port: 9000 }
 * ```
 */
export function parseAddress(value: string, flag: string): Address {
  const m = /^\[?([^\]]*?)\]?:(\d{1,5})$/.exec(value);
  const port = m ? Number(m[2]) : NaN;
  if (!m || !m[1] || port > 65535) {
    throw new ForesightError(
      "CONFIG",
      `Cannot use --${flag} "${value}": expected host:port, e.g. 127.0.0.1:9000`,
    );
  }
  return { host: m[1], port };
}

/** Flags every role and command understands. */
export const commonFlags = {
  "log-level": {
    type: "string",
    default: "info",
    arg: "L",
    help: "log records at this level and above on stderr: debug, info, warn, error",
    config: v.picklist(["debug", "info", "warn", "error"]),
  },
  "log-format": {
    type: "string",
    default: "pretty",
    arg: "F",
    help: "pretty (one readable line per record) or json (one object per line)",
    config: v.picklist(["pretty", "json"]),
  },
  config: {
    type: "string",
    arg: "FILE",
    help: "read settings from this JSON file (fields listed below)",
  },
  help: { type: "boolean", short: "h", default: false, help: "print this help", env: false },
} as const satisfies FlagSpecs;

/** The flag of a role that checks which runtime runs it. */
export const runtimeFlag = {
  runtime: {
    type: "string",
    arg: "node|deno|bun",
    defaultText: "the runtime running it",
    help: "refuse to start unless running on this runtime",
    config: v.picklist(["node", "deno", "bun"]),
  },
} as const satisfies FlagSpecs;

/** The admin API and stats events of a role. */
export const adminFlags = {
  "admin-port": {
    type: "string",
    arg: "N",
    defaultText: "none: no admin server",
    help: "serve the admin API (/health /stats /metrics /files/:id) on this port; 0 picks one",
    config: v.pipe(v.number(), v.safeInteger(), v.minValue(0), v.maxValue(65535)),
  },
  "admin-host": {
    type: "string",
    default: "127.0.0.1",
    arg: "H",
    help: "address the admin API binds",
    config: v.string(),
  },
  "stats-ms": {
    type: "string",
    default: "250",
    arg: "MS",
    help: "print a stats event on stdout every MS milliseconds; 0: never",
    config: v.pipe(v.number(), v.safeInteger(), v.minValue(0)),
  },
} as const satisfies FlagSpecs;

/**
 * A whole number from a flag value, within bounds.
 *
 * @throws {ForesightError} CONFIG naming where the value came from
 *
 * @example
 * ```ts
 * wholeFrom("8080", "--admin-port", 0, 65535); // 8080
 * ```
 */
export function wholeFrom(
  raw: unknown,
  name: string,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const n = Number(raw);
  if (raw === "" || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new ForesightError(
      "CONFIG",
      `Cannot use ${name} "${raw}": expected a whole number from ${min} to ${max}`,
    );
  }
  return n;
}

/**
 * The adapter of the runtime this process runs on (checks --runtime when given).
 *
 * @example
 * ```ts
 * const adapter = await adapterFor({ runtime: "node" });
 * ```
 */
export async function adapterFor(values: Record<string, unknown>): Promise<NetAdapter> {
  const here = detectRuntime();
  const asked = values.runtime as RuntimeName | undefined;
  if (asked && asked !== here) {
    throw new ForesightError(
      "CONFIG",
      `Cannot use --runtime ${asked}: this process runs on ${here}`,
    );
  }
  return await loadAdapter(here);
}

/**
 * Samples resident memory every 100 ms; `peak()` is the highest seen, in bytes.
 *
 * @example
 * ```ts
 * const rss = rssSampler();
 * // ... work ...
 * rss.stop();
 * console.log(rss.peak());
 * ```
 */
export function rssSampler(): { peak(): number; stop(): void } {
  let peak = process.memoryUsage.rss();
  const t = setInterval(() => {
    const r = process.memoryUsage.rss();
    if (r > peak) peak = r;
  }, 100);
  return {
    peak: () => Math.max(peak, process.memoryUsage.rss()),
    stop: () => clearInterval(t),
  };
}

/**
 * Runs a role's main: prints its summary event, exits 0 when `ok`, 1
 * otherwise, 2 on a configuration error (with the message on stderr).
 *
 * @example
 * ```ts
 * await runMain("origin", async () => ({ ok: true })); // prints the summary event, exits 0
 * ```
 */
export async function runMain(
  role: RoleName,
  main: () => Promise<{ ok: boolean }>,
): Promise<never> {
  const rss = rssSampler();
  try {
    const summary = await main();
    rss.stop();
    emitEvent({
      event: "summary",
      role,
      runtime: detectRuntime(),
      peakRssBytes: rss.peak(),
      ...summary,
    });
    process.exit(summary.ok ? 0 : 1);
  } catch (e) {
    rss.stop();
    const code = e instanceof ForesightError ? e.code : "INTERNAL";
    process.stderr.write(`foresight ${ROLE_COMMAND[role]}: ${(e as Error).message}\n`);
    emitEvent({
      event: "summary",
      role,
      runtime: detectRuntime(),
      ok: false,
      error: (e as Error).message,
      peakRssBytes: rss.peak(),
    });
    process.exit(code === "CONFIG" ? 2 : 1);
  }
}
