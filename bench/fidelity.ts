/**
 * Live fidelity: the simulated seconds a real run reports (every role its own
 * process, shaped TCP links) against the simulator's makespan for the same
 * scenario, seed and policy, measured in the same run, as a ratio.
 *
 *   npm run build && npx bun bench/fidelity.ts                  # canonical, seed 1, scale 20
 *   npx bun bench/fidelity.ts --scale 40 --policy foresight --files 3000 --requests 200
 *
 * Flags: the scenario flags of `foresight run` (--policy may be given twice or
 * as a comma list; default "seed,foresight"), --runtime (default node).
 *
 * @module
 */

import process from "node:process";
import { parseArgs } from "node:util";
import { scenarioFlags, scenarioFrom } from "../roles/common.ts";
import { runScenario } from "../roles/run.ts";
import { simulate } from "../sim/simulator.ts";
import type { PolicyName } from "../core/scenario.ts";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    ...scenarioFlags,
    policy: { type: "string", default: "seed,foresight" },
    runtime: { type: "string", default: "node" },
  },
});
const policies = String(values.policy).split(",") as PolicyName[];
console.log("policy     scale  sim makespan s  live sim s  live/sim  wall s  ok");
for (const policy of policies) {
  const scenario = scenarioFrom({ ...values, policy });
  const sim = simulate(scenario);
  const live = await runScenario(scenario, {
    runtime: String(values.runtime),
    host: "127.0.0.1",
    logLevel: "error",
    timeoutS: 3600,
  });
  const ratio = live.simSeconds / sim.makespan;
  console.log(
    `${policy.padEnd(9)}  ${String(scenario.scale).padStart(5)}  ${
      sim.makespan.toFixed(1).padStart(14)
    }  ${live.simSeconds.toFixed(1).padStart(10)}  ${ratio.toFixed(4).padStart(8)}  ${
      live.wallSeconds.toFixed(1).padStart(6)
    }  ${live.ok}`,
  );
}
