/**
 * The flags that bring real files in and take verified files out: `--dir`
 * (the origin serves a folder; `data` and `run`) and `--out` (a client keeps
 * every verified file; `client`, and `run` with one sub-folder per client),
 * and opening the folder `--dir` names.
 *
 * @module
 */

import * as v from "valibot";
import type { Logger } from "../core/run/log.ts";
import type { Scenario } from "../core/run/scenario.ts";
import { ForesightError } from "../errors.ts";
import { DirStore } from "../store/dir_store.ts";
import type { FlagSpecs } from "./flags.ts";

/** `--dir PATH`: serve every regular file under PATH instead of the synthetic files. */
export const dirFlag = {
  dir: {
    type: "string",
    arg: "PATH",
    defaultText: "none: the synthetic files (file n is n KiB)",
    help: "serve every regular file under PATH, named by its path under it; --files becomes " +
      "the folder's file count and --requests at most that",
    config: v.string(),
  },
} as const satisfies FlagSpecs;

/** `--out DIR`: keep every verified file under DIR. */
export const outFlag = {
  out: {
    type: "string",
    arg: "DIR",
    defaultText: "none: verified files are dropped",
    help: "write each verified file under DIR by its name (through a temporary name and a " +
      "rename); files already there with the right bytes are not fetched again",
    config: v.string(),
  },
} as const satisfies FlagSpecs;

/** `--want FILE`: a client's own list. */
export const wantFlag = {
  want: {
    type: "string",
    arg: "FILE",
    defaultText: "none: drawn from the seed for this client's index",
    help: "this client's files, from FILE (a demand file: CSV client,file or JSON, names or " +
      "ids; its only list, else the one of this client's index)",
    config: v.string(),
  },
} as const satisfies FlagSpecs;

/** A cache's `--demand FILE`: every client's list, for the policies that read the future. */
export const cacheDemandFlag = {
  demand: {
    type: "string",
    arg: "FILE",
    defaultText: "none: the lists the seed draws",
    help: "the run's demand file (every client's list, as the clients were given it), for the " +
      "policies that read the future (belady)",
    config: v.string(),
  },
} as const satisfies FlagSpecs;

/**
 * The flag's value as a path, or `undefined` when it is not set.
 *
 * @example
 * ```ts
 * pathFlag(flags.values.dir); // "./data" or undefined
 * ```
 */
export function pathFlag(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

/**
 * Opens the folder `dir` (listing only: nothing is read), logs each entry it
 * refuses, and fits the scenario to it: `files` is its count, `requests` at
 * most that.
 *
 * @throws {ForesightError} CONFIG when the folder is missing or holds no file it may serve
 * @example
 * ```ts
 * const { store, scenario } = await openDir("./data", scenarioFrom(values), log);
 * ```
 */
export async function openDir(
  dir: string,
  scenario: Scenario,
  log: Logger,
): Promise<{ store: DirStore; scenario: Scenario }> {
  const store = await DirStore.open(dir);
  for (const r of store.refused) {
    log.log("warn", "not served", { name: r.name, code: r.error.code, reason: r.error.message });
  }
  const files = store.list().length;
  if (files === 0) {
    throw new ForesightError("CONFIG", `Cannot serve ${dir}: it holds no file that may be served`);
  }
  log.log("info", "serving a folder", {
    root: store.root,
    files,
    refused: store.refused.length,
  });
  return {
    store,
    scenario: { ...scenario, files, requests: Math.min(scenario.requests, files) },
  };
}
