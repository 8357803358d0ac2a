/**
 * What `foresight run` hands each role process: the scenario's flags, the
 * flags every role of the run shares (admin port, stats interval, log level
 * and format, idle limit), and its environment.
 *
 * @module
 */

import process from "node:process";
import { join } from "node:path";
import type { Scenario } from "../core/run/scenario.ts";
import type { Role } from "./role_command.ts";

/** The settings of a run that every role gets as flags. */
export interface RoleArgsSettings {
  /** The scenario's number of caches (admin ports are given in role order). */
  readonly caches: number;
  /** Serve every role's admin API: 0 = each picks a port; N = consecutive ports from N. */
  readonly adminPort?: number;
  /** How often each role prints a stats event (ms). */
  readonly statsMs: number;
  readonly logLevel: string;
  readonly logFormat: "pretty" | "json";
  /** Every role's `--idle-ms` (none: the roles' own). */
  readonly idleMs?: number;
  /** The origin's `--dir`, if any. */
  readonly dir?: string;
  /** Clients keep their files under `out/client-K`, if set. */
  readonly out?: string;
  /** Every client's `--want` (a demand file; each takes its index's list) and every cache's `--demand`, if set. */
  readonly want?: string;
  /** A folder for every role's `--trace-inputs` file (`origin-0.jsonl`, `cache-1.jsonl`, …). */
  readonly traceInputs?: string;
}

/**
 * The scenario as the flags every role takes (`--files` … `--policy`).
 *
 * @param scenario the run's scenario
 * @returns flag names and values, in pairs
 * @example
 * ```ts
 * scenarioArgs(scenario); // ["--files", "3000", "--caches", "4", …, "--policy", "foresight"]
 * ```
 */
export function scenarioArgs(scenario: Scenario): string[] {
  return [
    "--files",
    scenario.files,
    "--caches",
    scenario.caches,
    "--clients",
    scenario.clients,
    "--requests",
    scenario.requests,
    "--capacity-kib",
    scenario.capacityKiB,
    "--rate-origin-client",
    scenario.rateOriginClient,
    "--rate-origin-cache",
    scenario.rateOriginCache,
    "--rate-cache-client",
    scenario.rateCacheClient,
    "--scale",
    scenario.scale,
    "--seed",
    scenario.seed,
    "--policy",
    scenario.policy,
  ].map(String);
}

/**
 * The flags a role of a run gets besides its own and the scenario's: its
 * admin port (the origin N, cache i N+1+i, client j N+1+caches+j), the stats
 * interval, the log level and format, and the idle limit when one is set.
 *
 * @param role the role
 * @param index its index among the caches or the clients (0 for the origin)
 * @param s the run's settings
 * @returns flag names and values, in pairs
 * @example
 * ```ts
 * roleArgs("cache", 1, { caches: 2, adminPort: 9000, statsMs: 100, logLevel: "warn", logFormat: "pretty" });
 * // ["--admin-port", "9002", "--stats-ms", "100", "--log-level", "warn", "--log-format", "pretty"]
 * ```
 */
export function roleArgs(role: Role, index: number, s: RoleArgsSettings): string[] {
  return [
    ...adminPortArgs(role, index, s),
    "--stats-ms",
    String(s.statsMs),
    "--log-level",
    s.logLevel,
    "--log-format",
    s.logFormat,
    ...(s.idleMs === undefined ? [] : ["--idle-ms", String(s.idleMs)]),
    ...(role === "origin" && s.dir !== undefined ? ["--dir", s.dir] : []),
    ...(role === "client" && s.out !== undefined ? ["--out", join(s.out, `client-${index}`)] : []),
    ...(role === "client" && s.want !== undefined ? ["--want", s.want] : []),
    ...(role === "cache" && s.want !== undefined ? ["--demand", s.want] : []),
    ...(s.traceInputs === undefined
      ? []
      : ["--trace-inputs", `${s.traceInputs}/${role}-${index}.jsonl`]),
  ];
}

function adminPortArgs(role: Role, index: number, s: RoleArgsSettings): string[] {
  if (s.adminPort === undefined) return [];
  if (s.adminPort === 0) return ["--admin-port", "0"];
  const offset = role === "origin" ? 0 : role === "cache" ? 1 + index : 1 + s.caches + index;
  return ["--admin-port", String(s.adminPort + offset)];
}

/**
 * The environment of every role of a run: this process's, without the
 * FORESIGHT_* variables meant for this command (the roles get every setting
 * as a flag), with no colours, and the shared secret when there is one.
 *
 * @param secret the run's shared secret (FORESIGHT_SECRET), if any
 * @example
 * ```ts
 * spawn(cmd, args, { env: roleEnv(randomSecret()) });
 * ```
 */
export function roleEnv(secret?: string): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { NO_COLOR: "1", RUST_BACKTRACE: "0" };
  for (const [k, val] of Object.entries(process.env)) {
    if (!k.startsWith("FORESIGHT_")) env[k] ??= val;
  }
  if (secret !== undefined) env.FORESIGHT_SECRET = secret;
  return env;
}
