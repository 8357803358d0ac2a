/**
 * What every role entry point shares: flags, logging to stderr, events as
 * JSON lines on stdout, peak memory sampling, exit codes.
 *
 * @module
 */

import process from "node:process";
import { parseArgs } from "node:util";
import type { Address, NetAdapter, RuntimeName } from "../net/types.ts";
import { detectRuntime, loadAdapter } from "../net/select.ts";
import type { LogFields, Logger, LogLevel } from "../core/log.ts";
import { CANONICAL, checkScenario, type PolicyName, type Scenario } from "../core/scenario.ts";
import { ForesightError } from "../errors.ts";

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** A logger writing one record per line on stderr, as JSON or readable text. */
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

/** Writes one event as a JSON line on stdout (the orchestrator reads these). */
export function emitEvent(event: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify(event) + "\n");
}

/**
 * Parses "host:port" ("[::1]:9000" for IPv6).
 *
 * @throws {ForesightError} CONFIG naming the flag and the value
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

/** Flags every role understands. */
export const commonFlags = {
  runtime: { type: "string" },
  "log-level": { type: "string", default: "info" },
  "log-format": { type: "string", default: "pretty" },
  help: { type: "boolean", short: "h", default: false },
} as const;

/** The scenario flags (also `foresight run` and `sim`). */
export const scenarioFlags = {
  files: { type: "string" },
  caches: { type: "string" },
  clients: { type: "string" },
  requests: { type: "string" },
  "capacity-kib": { type: "string" },
  "rate-origin-client": { type: "string" },
  "rate-origin-cache": { type: "string" },
  "rate-cache-client": { type: "string" },
  scale: { type: "string" },
  seed: { type: "string" },
  policy: { type: "string" },
} as const;

/** Scenario flag name → scenario field. */
const FIELD: Record<keyof typeof scenarioFlags, keyof Scenario> = {
  files: "files",
  caches: "caches",
  clients: "clients",
  requests: "requests",
  "capacity-kib": "capacityKiB",
  "rate-origin-client": "rateOriginClient",
  "rate-origin-cache": "rateOriginCache",
  "rate-cache-client": "rateCacheClient",
  scale: "scale",
  seed: "seed",
  policy: "policy",
};

/** The flags' help lines: flag, default, meaning. */
export function scenarioHelp(): string {
  return Object.entries(FIELD).map(([flag, field]) =>
    `  --${flag.padEnd(20)} default ${CANONICAL[field]}`
  ).join("\n");
}

/**
 * A scenario from flags over the canonical defaults.
 *
 * @throws {ForesightError} CONFIG naming the flag, the value and what was expected
 */
export function scenarioFrom(values: Record<string, unknown>): Scenario {
  const s: Scenario = { ...CANONICAL };
  for (const [flag, field] of Object.entries(FIELD)) {
    const raw = values[flag];
    if (raw === undefined) continue;
    if (field === "policy") {
      s.policy = String(raw) as PolicyName;
      continue;
    }
    const n = Number(raw);
    if (raw === "" || !Number.isFinite(n)) {
      throw new ForesightError("CONFIG", `Cannot use --${flag} "${raw}": expected a number`);
    }
    (s[field] as number) = n;
  }
  return checkScenario(s);
}

/** Parses argv with the given flag set (strict: unknown flags are errors). */
export function parseFlags<
  T extends Record<
    string,
    { type: "string" | "boolean"; default?: string | boolean; short?: string }
  >,
>(argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false })
      .values as Record<string, string | boolean | undefined>;
  } catch (e) {
    throw new ForesightError("CONFIG", `Cannot parse flags: ${(e as Error).message}`, { cause: e });
  }
}

/** The adapter of the runtime this process runs on (checks --runtime when given). */
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

/** Samples resident memory every 100 ms; `peak()` is the highest seen, in bytes. */
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
 */
export async function runMain(role: string, main: () => Promise<{ ok: boolean }>): Promise<never> {
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
    process.stderr.write(`foresight ${role}: ${(e as Error).message}\n`);
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
