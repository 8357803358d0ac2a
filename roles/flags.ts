/**
 * Flags, environment variables and config files, one table per command.
 * Each flag is described once (type, default, help, config schema); from
 * that come the parser, the `--help` text, the `FORESIGHT_*` variable and the
 * config file's field. Precedence: flag, then environment, then config file,
 * then default.
 *
 * @module
 */

import process from "node:process";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import * as v from "valibot";
import { ForesightError } from "../errors.ts";

/** One flag of a command. */
export interface FlagSpec {
  readonly type: "string" | "boolean";
  /** The value when nothing sets it (as on the command line: a string, or a boolean). */
  readonly default?: string | boolean;
  /** How `--help` shows the default when it is not a plain value ("none: no admin server"). */
  readonly defaultText?: string;
  readonly short?: string;
  /** The value's placeholder in `--help` ("N", "host:port"). */
  readonly arg?: string;
  /** What the flag does, one line. */
  readonly help: string;
  /** The schema of its value in a config file; without one, a config file cannot set it. */
  readonly config?: v.GenericSchema;
  /** Its field in a config file (default: the flag's name in camelCase). */
  readonly key?: string;
  /** False when no environment variable sets it. */
  readonly env?: boolean;
}

/** A command's flags, by name (without the dashes). */
export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

/** Values by flag name, as the command line gives them: strings and booleans. */
export type FlagValues = Record<string, string | boolean | undefined>;

/** The resolved flags of a command. */
export interface Flags {
  readonly values: FlagValues;
  /** How to name where a flag's value came from, in an error message. */
  from(flag: string): string;
}

/**
 * The environment variable of a flag: `FORESIGHT_` and the name in capitals.
 *
 * @example
 * ```ts
 * envName("admin-port"); // "FORESIGHT_ADMIN_PORT"
 * ```
 */
export function envName(flag: string): string {
  return `FORESIGHT_${flag.toUpperCase().replace(/-/g, "_")}`;
}

/**
 * A flag's field in a config file.
 *
 * @example
 * ```ts
 * configKey("admin-port", { type: "string", help: "" }); // "adminPort"
 * ```
 */
export function configKey(flag: string, spec: FlagSpec): string {
  return spec.key ?? flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

const TRUE = new Set(["1", "true", "yes", "on"]);
const FALSE = new Set(["", "0", "false", "no", "off"]);

/**
 * Reads and checks a JSON config file against the flags that may be set there.
 *
 * @returns values by flag name
 * @throws {ForesightError} CONFIG naming the file, and for a bad field its name, its value
 *   and what was expected
 *
 * @example
 * ```ts
 * readConfig("run.json", RUN_FLAGS); // { files: "300", dashboard: true }
 * ```
 */
export function readConfig(
  path: string,
  specs: FlagSpecs,
  readText: (path: string) => string = (p) => readFileSync(p, "utf8"),
): FlagValues {
  let json: unknown;
  try {
    json = JSON.parse(readText(path));
  } catch (e) {
    const why = (e as { code?: string }).code === "ENOENT" ? "no such file" : (e as Error).message;
    throw new ForesightError("CONFIG", `Cannot read --config ${path}: ${why}`, { cause: e });
  }
  const settable = Object.entries(specs).filter(([, s]) => s.config);
  const entries: Record<string, v.GenericSchema> = {};
  for (const [flag, spec] of settable) entries[configKey(flag, spec)] = v.optional(spec.config!);
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new ForesightError(
      "CONFIG",
      `Cannot use --config ${path}: expected a JSON object of settings, got ${
        Array.isArray(json) ? "an array" : JSON.stringify(json)
      }`,
    );
  }
  const result = v.safeParse(v.strictObject(entries), json);
  if (!result.success) {
    const issue = result.issues[0];
    const field = v.getDotPath(issue);
    if (field === null) {
      throw new ForesightError(
        "CONFIG",
        `Cannot use --config ${path}: expected a JSON object of settings, got ${issue.received}`,
      );
    }
    if (issue.type === "strict_object") {
      throw new ForesightError(
        "CONFIG",
        `Cannot use --config ${path}: unknown field "${field}": expected one of ${
          Object.keys(entries).join(", ")
        }`,
      );
    }
    const value = JSON.stringify((json as Record<string, unknown>)[field.split(".")[0]!]);
    throw new ForesightError(
      "CONFIG",
      `Cannot use --config ${path}: field "${field}" is ${value}: expected ${issue.expected} (${issue.message})`,
    );
  }
  const out: FlagValues = {};
  const parsed = result.output as Record<string, unknown>;
  for (const [flag, spec] of settable) {
    const value = parsed[configKey(flag, spec)];
    if (value === undefined) continue;
    out[flag] = spec.type === "boolean" ? value === true : String(value);
  }
  return out;
}

/**
 * Resolves a command's flags from the command line, the environment, a
 * config file (`--config FILE` or `FORESIGHT_CONFIG`) and the defaults.
 *
 * @param argv the arguments after the command
 * @param specs the command's flags (a `config` flag enables config files)
 * @param env the environment (default `process.env`)
 * @throws {ForesightError} CONFIG for an unknown flag, a bad boolean variable, or a bad config file
 * @example
 * ```ts
 * const { values, from } = resolveFlags(["--scale", "50"], { scale: { type: "string", default: "20", help: "speed-up" } });
 * values.scale; // "50"; with FORESIGHT_SCALE=30 and no flag: "30"
 * ```
 */
export function resolveFlags(
  argv: string[],
  specs: FlagSpecs,
  env: Record<string, string | undefined> = process.env,
): Flags {
  const options: Record<string, { type: "string" | "boolean"; short?: string }> = {};
  for (const [flag, spec] of Object.entries(specs)) {
    options[flag] = spec.short ? { type: spec.type, short: spec.short } : { type: spec.type };
  }
  let cli: FlagValues;
  try {
    cli = parseArgs({ args: argv, options, strict: true, allowPositionals: false })
      .values as FlagValues;
  } catch (e) {
    throw new ForesightError("CONFIG", `Cannot parse flags: ${(e as Error).message}`, {
      cause: e,
    });
  }
  const fromEnv: FlagValues = {};
  for (const [flag, spec] of Object.entries(specs)) {
    const raw = spec.env === false ? undefined : env[envName(flag)];
    if (raw === undefined) continue;
    if (spec.type === "string") fromEnv[flag] = raw;
    else if (TRUE.has(raw.toLowerCase())) fromEnv[flag] = true;
    else if (FALSE.has(raw.toLowerCase())) fromEnv[flag] = false;
    else {
      throw new ForesightError(
        "CONFIG",
        `Cannot use ${envName(flag)}="${raw}": expected true or false (1/0, yes/no)`,
      );
    }
  }
  const configPath = "config" in specs ? (cli.config ?? fromEnv.config) : undefined;
  const fromConfig = typeof configPath === "string" && configPath !== ""
    ? readConfig(configPath, specs)
    : {};
  const values: FlagValues = {};
  const source: Record<string, string> = {};
  for (const [flag, spec] of Object.entries(specs)) {
    if (cli[flag] !== undefined) {
      values[flag] = cli[flag];
      source[flag] = `--${flag}`;
    } else if (fromEnv[flag] !== undefined) {
      values[flag] = fromEnv[flag];
      source[flag] = envName(flag);
    } else if (fromConfig[flag] !== undefined) {
      values[flag] = fromConfig[flag];
      source[flag] = `field "${configKey(flag, spec)}" of --config ${configPath}`;
    } else {
      values[flag] = spec.default;
      source[flag] = `--${flag} (default)`;
    }
  }
  return { values, from: (flag) => source[flag] ?? `--${flag}` };
}

/** Columns of `--help` text. */
const HELP_WIDTH = 100;

/** Splits `text` (or these words) into lines of at most `width` columns, at spaces. */
function wrap(text: string | readonly string[], width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of typeof text === "string" ? text.split(" ") : text) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

/**
 * The `--help` lines of a command's flags: each flag with its value, what it
 * does and its default, then how the environment and config files set them.
 *
 * @example
 * ```ts
 * flagsHelp({ scale: { type: "string", arg: "X", default: "20", help: "wall-clock speed-up" } });
 * // "  --scale X   wall-clock speed-up (default 20)\n..."
 * ```
 */
export function flagsHelp(specs: FlagSpecs): string {
  const rows = Object.entries(specs).map(([flag, spec]) => {
    const name = `${spec.short ? `-${spec.short}, ` : ""}--${flag}${
      spec.arg ? ` ${spec.arg}` : ""
    }`;
    const dflt = spec.defaultText ??
      (spec.default === undefined
        ? "none"
        : spec.type === "boolean"
        ? (spec.default ? "on" : "off")
        : String(spec.default));
    // The default stays whole on one line.
    return [name, [...spec.help.split(" "), `(default ${dflt})`]] as const;
  });
  const width = Math.min(32, Math.max(...rows.map(([n]) => n.length)) + 2);
  const indent = " ".repeat(2 + width);
  const lines = rows.map(([n, h]) => {
    const first = n.length >= width ? `  ${n}\n${indent}` : `  ${n.padEnd(width)}`;
    return first + wrap(h, HELP_WIDTH - indent.length).join(`\n${indent}`);
  });
  const keys = Object.entries(specs).filter(([, s]) => s.config).map(([f, s]) => configKey(f, s));
  lines.push(
    "",
    ...wrap(
      "Every flag can also be set by an environment variable, FORESIGHT_ and its name in " +
        "capitals (--admin-port → FORESIGHT_ADMIN_PORT)" +
        (keys.length ? `, or by a field of the JSON --config file: ${keys.join(", ")}.` : ".") +
        " Flags win over the environment, the environment over the config file.",
      HELP_WIDTH,
    ),
  );
  return lines.join("\n");
}
