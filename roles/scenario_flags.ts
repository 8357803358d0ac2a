/**
 * The scenario's flags, shared by the origin, `foresight run` and `sim`:
 * one flag per scenario field, each settable by its `FORESIGHT_*` variable
 * and as the field of a config file (checked with the scenario's schema).
 *
 * @module
 */

import {
  CANONICAL,
  checkScenario,
  POLICIES,
  type PolicyName,
  type Scenario,
} from "../core/run/scenario.ts";
import { ScenarioSchema } from "../protocol/scenario_schema.ts";
import { ForesightError } from "../errors.ts";
import { flagsHelp, type FlagSpecs } from "./flags.ts";

const entries = ScenarioSchema.entries;

/** The scenario flags (roles, `foresight run` and `sim`); each settable as the scenario field in a config file. */
export const scenarioFlags = {
  files: {
    type: "string",
    arg: "N",
    default: String(CANONICAL.files),
    help: "number of files; file n is n KiB",
    key: "files",
    config: entries.files,
  },
  caches: {
    type: "string",
    arg: "N",
    default: String(CANONICAL.caches),
    help: "number of cache servers",
    key: "caches",
    config: entries.caches,
  },
  clients: {
    type: "string",
    arg: "N",
    default: String(CANONICAL.clients),
    help: "number of clients",
    key: "clients",
    config: entries.clients,
  },
  requests: {
    type: "string",
    arg: "N",
    default: String(CANONICAL.requests),
    help: "distinct files each client requests",
    key: "requests",
    config: entries.requests,
  },
  "capacity-kib": {
    type: "string",
    arg: "KIB",
    default: String(CANONICAL.capacityKiB),
    help: "capacity of each cache, KiB",
    key: "capacityKiB",
    config: entries.capacityKiB,
  },
  "rate-origin-client": {
    type: "string",
    arg: "KIB/S",
    default: String(CANONICAL.rateOriginClient),
    help: "origin → client link rate, KiB per simulated second",
    key: "rateOriginClient",
    config: entries.rateOriginClient,
  },
  "rate-origin-cache": {
    type: "string",
    arg: "KIB/S",
    default: String(CANONICAL.rateOriginCache),
    help: "origin → cache link rate, KiB per simulated second",
    key: "rateOriginCache",
    config: entries.rateOriginCache,
  },
  "rate-cache-client": {
    type: "string",
    arg: "KIB/S",
    default: String(CANONICAL.rateCacheClient),
    help: "cache → client link rate, KiB per simulated second",
    key: "rateCacheClient",
    config: entries.rateCacheClient,
  },
  scale: {
    type: "string",
    arg: "X",
    default: String(CANONICAL.scale),
    help: "wall-clock speed-up: links run X times faster, simulated time = wall time × X",
    key: "scale",
    config: entries.scale,
  },
  seed: {
    type: "string",
    arg: "N",
    default: String(CANONICAL.seed),
    help: "run seed: request lists and file contents derive from it",
    key: "seed",
    config: entries.seed,
  },
  policy: {
    type: "string",
    arg: "P",
    default: CANONICAL.policy,
    help: `caching policy: ${POLICIES.join(", ")}`,
    key: "policy",
    config: entries.policy,
  },
} as const satisfies FlagSpecs;

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

/**
 * The scenario flags' help lines: flag, meaning, default.
 *
 * @example
 * ```ts
 * console.log(scenarioHelp()); // "  --files N   number of files; ... (default 10000)" ...
 * ```
 */
export function scenarioHelp(): string {
  return flagsHelp(scenarioFlags).split("\n\n")[0]!;
}

/**
 * A scenario from flag values over the canonical defaults.
 *
 * @param values flag values (strings, as parsed)
 * @param from names where a flag's value came from (default `--flag`)
 * @throws {ForesightError} CONFIG naming the flag, the value and what was expected
 * @example
 * ```ts
 * scenarioFrom({ files: "300", requests: "60" }); // { ...CANONICAL, files: 300, requests: 60 }
 * ```
 */
export function scenarioFrom(
  values: Record<string, unknown>,
  from: (flag: string) => string = (flag) => `--${flag}`,
): Scenario {
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
      throw new ForesightError("CONFIG", `Cannot use ${from(flag)} "${raw}": expected a number`);
    }
    (s[field] as number) = n;
  }
  return checkScenario(s);
}
