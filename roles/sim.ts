/**
 * `foresight sim`: a scenario in virtual time, with the same policy objects
 * as the live roles and no sockets; its report, the lower bounds, or every
 * policy compared.
 *
 * @module
 */

import process from "node:process";
import { writeFileSync } from "node:fs";
import { requestList, type Scenario } from "../core/scenario.ts";
import { ForesightError } from "../errors.ts";
import { compare, renderCompare } from "../sim/compare.ts";
import { scenarioBound } from "../sim/lower_bound.ts";
import { renderSimReport, type SimReport, simReport } from "../sim/sim_report.ts";
import { simulate } from "../sim/simulator.ts";
import { parseFlags, scenarioFlags, scenarioFrom, scenarioHelp } from "./common.ts";
import type { RunReport } from "./report.ts";

// A simulated report is a run report (plus the bound): the two shapes stay one.
const _sameShape: (r: SimReport) => RunReport = (r) => r;
void _sameShape;

const USAGE = `foresight sim — the scenario in virtual time (deterministic, no sockets)

${scenarioHelp()}
  --json                   print the report as JSON (RunReport shape plus lowerBound)
  --bound                  print the lower bounds only
  --compare                every policy × seeds 1..5 on the scenario: makespan, ratio to
                           the bound, hit ratio, origin bytes (with --json: the rows)
  --dump-requests FILE     write the request lists (one ascending array per client) as JSON
  --help`;

const flags = {
  ...scenarioFlags,
  json: { type: "boolean", default: false },
  bound: { type: "boolean", default: false },
  compare: { type: "boolean", default: false },
  "dump-requests": { type: "string" },
  help: { type: "boolean", short: "h", default: false },
} as const;

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
export function simMainCli(argv: string[]): Promise<number> {
  const out = (text: string) => process.stdout.write(text + "\n");
  try {
    const values = parseFlags(argv, flags);
    if (values.help) {
      out(USAGE);
      return Promise.resolve(0);
    }
    const scenario = scenarioFrom(values);
    const dump = values["dump-requests"];
    if (typeof dump === "string") {
      try {
        writeFileSync(dump, requestListsJson(scenario));
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
      const rows = compare(scenario);
      out(values.json ? JSON.stringify(rows) : renderCompare(rows));
      return Promise.resolve(0);
    }
    const bound = scenarioBound(scenario);
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
            bound.exact ? "exact fluid LP" : "relaxed closed form (program too large)"
          }, ${bound.classes} classes`,
        );
      }
      return Promise.resolve(0);
    }
    const t0 = performance.now();
    const result = simulate(scenario);
    const report = simReport(result, bound, (performance.now() - t0) / 1000);
    out(values.json ? JSON.stringify(report) : renderSimReport(report));
    return Promise.resolve(report.ok ? 0 : 1);
  } catch (e) {
    process.stderr.write(`foresight sim: ${(e as Error).message}\n`);
    return Promise.resolve(e instanceof ForesightError && e.code === "CONFIG" ? 2 : 1);
  }
}
