/**
 * The workload a command runs: the scenario's own synthetic files and
 * request lists, or a folder (`--dir`) and a demand file (`--demand`) read
 * and checked before anything starts.
 *
 * @module
 */

import { readFileSync } from "node:fs";
import * as v from "valibot";
import { parseDemand } from "../core/demand/demand.ts";
import type { FileStore } from "../core/files/file_store.ts";
import { checkScenario, type Scenario } from "../core/run/scenario.ts";
import { SyntheticStore } from "../core/files/synthetic_store.ts";
import { FileSource } from "../core/files/virtual_files.ts";
import { ForesightError } from "../errors.ts";
import { DirStore } from "../store/dir_store.ts";
import type { FlagSpecs } from "./flags.ts";
import { scenarioFrom } from "./scenario_flags.ts";

/** The flags that name a workload's files and demand. */
export const workloadFlags = {
  dir: {
    type: "string",
    arg: "PATH",
    defaultText: "none: the synthetic files, file n is n KiB",
    help: "the files are every regular file under PATH, named by their path under it " +
      "(sizes are read from the folder's listing, never a byte of a file); needs --demand",
    config: v.string(),
  },
  demand: {
    type: "string",
    arg: "FILE",
    defaultText: "none: each client draws --requests files from the seed",
    help: "each client's files, from FILE: CSV client,file or JSON (one array per client, " +
      "as --dump-requests writes); sets --clients and --requests (and --files with --dir)",
    config: v.string(),
  },
} as const satisfies FlagSpecs;

/** What a command runs: the scenario, and with a demand file its lists and the files' sizes. */
export interface Workload {
  /** The scenario, its files, clients and requests those of the demand when there is one. */
  readonly scenario: Scenario;
  /** Each client's ascending list (`undefined`: the scenario's own, from the seed). */
  readonly lists?: number[][];
  /** A file's bytes (`undefined`: file n is n KiB). */
  readonly size?: (file: number) => number;
  /** The store the files are in, when the demand named them. */
  readonly store?: FileStore;
  /** Why entries of the folder are not served (to log): links out of it, special files. */
  readonly refused: readonly string[];
}

/**
 * The workload of `values`: the scenario of its flags (see `scenarioFrom`) and,
 * with `--demand`, the demand's lists over `--dir` or the synthetic files.
 *
 * @param values flag values, as resolved
 * @param from where a flag's value came from (a value that ends in "(default)" was not given)
 * @throws {ForesightError} CONFIG when --dir comes without --demand, the folder or the
 * demand file cannot be read, the demand is invalid (see `parseDemand`), or --clients,
 * --requests or --files were given and disagree with the demand or the folder
 *
 * @example
 * ```ts
 * const w = await workloadFrom({ dir: "./data", demand: "demand.csv" }, from);
 * simulate(w.scenario, { lists: w.lists, size: w.size });
 * ```
 */
export async function workloadFrom(
  values: Record<string, unknown>,
  from: (flag: string) => string,
): Promise<Workload> {
  const dir = typeof values.dir === "string" && values.dir !== "" ? values.dir : undefined;
  const demand = typeof values.demand === "string" && values.demand !== ""
    ? values.demand
    : undefined;
  if (demand === undefined) {
    if (dir !== undefined) {
      throw new ForesightError(
        "CONFIG",
        `Cannot use --dir ${dir}: give each client's files with --demand FILE`,
      );
    }
    return { scenario: scenarioFrom(values, from), refused: [] };
  }
  const given = (flag: string) => !from(flag).endsWith("(default)");
  // The demand sets what was not given: check the other fields with placeholders that always fit.
  const scenario = scenarioFrom({
    ...values,
    requests: given("requests") ? values.requests : "1",
    files: given("files") || dir === undefined ? values.files : String(2 ** 20),
  }, from);
  const store = dir === undefined
    ? new SyntheticStore({ source: new FileSource({ seed: scenario.seed }), files: scenario.files })
    : await DirStore.open(dir);
  const files = store.list().length;
  if (files === 0) {
    throw new ForesightError("CONFIG", `Cannot use --dir ${dir}: it holds no regular file`);
  }
  let text: string;
  try {
    text = readFileSync(demand, "utf8");
  } catch (e) {
    throw new ForesightError("CONFIG", `Cannot read --demand ${demand}: ${(e as Error).message}`, {
      cause: e,
    });
  }
  const lists = parseDemand(text, demand, store);
  const requests = Math.max(...lists.map((l) => l.length));
  const agree = (flag: string, mine: number, theirs: number, why: string) => {
    if (given(flag) && mine !== theirs) {
      throw new ForesightError(
        "CONFIG",
        `Cannot use ${from(flag)} ${mine} with --demand ${demand}: ${why}`,
      );
    }
  };
  agree("clients", scenario.clients, lists.length, `it has ${lists.length} clients`);
  agree("requests", scenario.requests, requests, `its longest list has ${requests} files`);
  if (dir !== undefined) agree("files", scenario.files, files, `--dir ${dir} holds ${files} files`);
  const sizes = store.list().map((f) => f.size);
  const refused = store instanceof DirStore ? store.refused.map((r) => r.error.message) : [];
  return {
    scenario: checkScenario({ ...scenario, files, clients: lists.length, requests }),
    lists,
    size: (file) => sizes[file - 1]!,
    store,
    refused,
  };
}
