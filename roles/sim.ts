/**
 * `foresight sim`: a scenario in virtual time, with the same policy objects
 * as the live roles and no sockets; its report, the lower bounds, or every
 * policy compared.
 *
 * @module
 */

import process from "node:process";
import { writeFileSync } from "node:fs";
import * as v from "valibot";
import { requestList, type Scenario } from "../core/run/scenario.ts";
import { ForesightError } from "../errors.ts";
import { compare, renderCompare } from "../sim/compare.ts";
import { exactScenarioBound, loadHighsSolver } from "../sim/highs_solver.ts";
import { boundInput, wantsSparseSolver } from "../sim/lower_bound.ts";
import { renderSimReport, type SimReport, simReport } from "../sim/sim_report.ts";
import { simulate } from "../sim/simulator.ts";
import { commonFlags, scenarioFlags } from "./common.ts";
import { workloadFlags, workloadFrom } from "./demand_workload.ts";
import { flagsHelp, resolveFlags } from "./flags.ts";
import type { RunReport } from "../report/run_report.ts";
import { writeSimReport } from "./report_files.ts";

// A simulated report is a run report (plus the bound): the two shapes stay one.
const _sameShape: (r: SimReport) => RunReport = (r) => r;
void _sameShape;

const flags = {
  ...scenarioFlags,
  ...workloadFlags,
  json: {
    type: "boolean",
    default: false,
    help: "print the report as JSON (RunReport shape plus lowerBound)",
    config: v.boolean(),
  },
  bound: {
    type: "boolean",
    default: false,
    help: "print the lower bounds only",
    config: v.boolean(),
  },
  compare: {
    type: "boolean",
    default: false,
    help: "every policy × seeds 1..5 on the scenario: makespan, ratio to the bound, hit ratio, " +
      "origin bytes (with --json: the rows)",
    config: v.boolean(),
  },
  report: {
    type: "string",
    arg: "DIR",
    defaultText: "none",
    help: "write report.json, report.md and SVG charts into DIR",
    config: v.string(),
  },
  "dump-requests": {
    type: "string",
    arg: "FILE",
    defaultText: "none",
    help: "write the request lists (one ascending array per client) as JSON",
    config: v.string(),
  },
  config: commonFlags.config,
  help: commonFlags.help,
} as const;

const USAGE = `foresight sim — the scenario in virtual time (deterministic, no sockets)

usage: foresight sim [flags]

${flagsHelp(flags)}`;

/**
 * What `--dump-requests` writes: a JSON array with one ascending array of
 * file ids per client.
 *
 * @example
 * ```ts
 * requestListsJson({ ...CANONICAL, clients: 2 }); // "[[1,20,...],[...]]\n"
 * ```
 */
export function requestListsJson(s: Scenario): string {
  return JSON.stringify(
    Array.from({ length: s.clients }, (_, c) => requestList(s.seed, c, s.files, s.requests)),
  ) + "\n";
}

/**
 * Runs `foresight sim` with `argv` (the flags after `sim`); returns the exit
 * code: 0 done, 1 the run failed, 2 bad flags. Never throws.
 *
 * @example
 * ```ts
 * process.exit(await simMainCli(["--policy", "foresight", "--seed", "3"]));
 * ```
 */
export async function simMainCli(argv: string[]): Promise<number> {
  const out = (text: string) => process.stdout.write(text + "\n");
  try {
    const { values, from } = resolveFlags(argv, flags);
    if (values.help) {
      out(USAGE);
      return 0;
    }
    const workload = await workloadFrom(values, from);
    for (const why of workload.refused) process.stderr.write(`foresight sim: ${why}\n`);
    const { scenario, lists, size } = workload;
    const dump = values["dump-requests"];
    if (typeof dump === "string") {
      try {
        writeFileSync(
          dump,
          lists ? JSON.stringify(lists) + "\n" : requestListsJson(scenario),
        );
      } catch (e) {
        throw new ForesightError(
          "CONFIG",
          `Cannot write --dump-requests ${dump}: ${(e as Error).message}`,
          {
            cause: e,
          },
        );
      }
    }
    if (values.compare) {
      const sparse = wantsSparseSolver(boundInput(scenario, lists, size));
      const solver = sparse ? await loadHighsSolver() : undefined;
      const rows = compare(scenario, { lists, size, solver });
      out(values.json ? JSON.stringify(rows) : renderCompare(rows));
      return 0;
    }
    const bound = await exactScenarioBound(scenario, lists, size);
    if (values.bound) {
      if (values.json) out(JSON.stringify(bound));
      else {
        out(
          `lower bound ${
            bound.seconds.toFixed(3)
          } s (every client receives from all its sources at once)`,
        );
        out(
          `lower bound ${
            bound.sequentialSeconds.toFixed(3)
          } s (each client receives one file at a time)`,
        );
        out(
          `${
            bound.exact
              ? `exact fluid LP (${bound.solver})`
              : "relaxed closed form (program too large)"
          }, ${bound.classes} classes`,
        );
      }
      return 0;
    }
    const t0 = performance.now();
    const result = simulate(scenario, { lists, size });
    const report = simReport(result, bound, (performance.now() - t0) / 1000);
    if (typeof values.report === "string" && values.report !== "") {
      const paths = writeSimReport(values.report, report);
      process.stderr.write(`foresight sim: report written to ${paths.join(", ")}\n`);
    }
    out(values.json ? JSON.stringify(report) : renderSimReport(report));
    return report.ok ? 0 : 1;
  } catch (e) {
    process.stderr.write(`foresight sim: ${(e as Error).message}\n`);
    return e instanceof ForesightError && e.code === "CONFIG" ? 2 : 1;
  }
}
