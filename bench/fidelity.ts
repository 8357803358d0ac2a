/**
 * Live fidelity: the simulated seconds a real run reports (every role its own
 * process, shaped TCP links) against the simulator's makespan for the same
 * scenario, seed and policy, measured in the same run, as a ratio. The live
 * roles and the simulator drive the same engines, so the ratio measures only
 * what the sockets, the pacer and the machine add.
 *
 *   npm run build && npx bun bench/fidelity.ts --table        # 5 policies × 3 scenarios
 *   npx bun bench/fidelity.ts                                 # canonical, seed,foresight
 *   npx bun bench/fidelity.ts --scale 40 --policy foresight --files 3000 --requests 200
 *   npx bun bench/fidelity.ts --scale auto --policy foresight --caches 8 --clients 32 --files 4000 --requests 200
 *
 * Flags: the scenario flags of `foresight run` (--policy may be a comma list;
 * default "seed,foresight"), --runtime (default node), --table (every policy
 * on the canonical scenario and the two off-grid ones below; scenario flags
 * other than --scale are then ignored). Marks a ratio outside 1 ± --tolerance
 * (default 0.01). Exits 1 when a run is not ok, and with --strict also when
 * a ratio is outside. `--scale auto` calibrates each run as `foresight run
 * --scale auto` does (roles/scale_auto.ts) and says what it chose. Under each
 * run: what its links achieved against their shaped rate, and the largest
 * peak RSS of its processes.
 *
 * @module
 */

import process from "node:process";
import { parseArgs } from "node:util";
import { scenarioFlags, scenarioFrom } from "../roles/common.ts";
import { randomSecret, runScenario } from "../roles/run.ts";
import { calibrateScale } from "../roles/scale_auto.ts";
import { ratesText } from "../report/link_rates.ts";
import { simulate } from "../sim/simulator.ts";
import { CANONICAL, POLICIES, type PolicyName, type Scenario } from "../core/run/scenario.ts";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    ...scenarioFlags,
    policy: { type: "string", default: "seed,foresight" },
    runtime: { type: "string", default: "node" },
    table: { type: "boolean", default: false },
    tolerance: { type: "string", default: "0.01" },
    strict: { type: "boolean", default: false },
  },
});

/** The off-grid scenarios of the table: other cache, client and file counts. */
const OFF_GRID: Partial<Scenario>[] = [
  { caches: 3, clients: 6, files: 4000, requests: 400, capacityKiB: 20_000, seed: 2 },
  { caches: 1, clients: 3, files: 2500, requests: 300, capacityKiB: 30_000, seed: 7 },
];

const auto = values.scale === "auto";
const base = scenarioFrom({
  ...values,
  scale: auto ? undefined : values.scale,
  policy: String(values.policy).split(",")[0],
});
const runs: Scenario[] = values.table
  ? [{}, ...OFF_GRID].flatMap((over) =>
    POLICIES.map((policy) => ({ ...CANONICAL, ...over, scale: base.scale, policy }))
  )
  : String(values.policy).split(",").map((p) => ({ ...base, policy: p as PolicyName }));
const tolerance = Number(values.tolerance);

console.log(
  "scenario (caches×clients, files/requests, seed)  policy     scale  sim s    live s   live/sim  wall s  ok",
);
let bad = 0;
for (const given of runs) {
  const sim = simulate(given);
  let scenario = given;
  if (auto) {
    const runtime = String(values.runtime);
    const choice = await calibrateScale(given, {
      runtime,
      host: "127.0.0.1",
      secret: randomSecret(),
    });
    if (choice === undefined) process.exit(130);
    scenario = { ...given, scale: choice.scale };
    console.log(`  --scale auto: ×${choice.scale} in ${choice.seconds} s, ${choice.how}`);
  }
  const live = await runScenario(scenario, {
    runtime: String(values.runtime),
    host: "127.0.0.1",
    logLevel: "error",
    timeoutS: 3600,
  });
  const ratio = live.simSeconds / sim.makespan;
  const off = Math.abs(ratio - 1) > tolerance;
  if (!live.ok || (off && values.strict)) bad++;
  const name =
    `${scenario.caches}×${scenario.clients}, ${scenario.files}/${scenario.requests}, seed ${scenario.seed}`;
  console.log(
    `${name.padEnd(47)}  ${scenario.policy.padEnd(9)}  ${String(scenario.scale).padStart(5)}  ${
      sim.makespan.toFixed(1).padStart(7)
    }  ${live.simSeconds.toFixed(1).padStart(7)}  ${ratio.toFixed(4).padStart(8)}  ${
      live.wallSeconds.toFixed(1).padStart(6)
    }  ${live.ok}${off ? "  ← outside ±" + tolerance * 100 + " %" : ""}`,
  );
  const rss = Math.max(...live.processes.map((p) => p.peakRssBytes)) / 1_048_576;
  console.log(
    `  links achieved ÷ shaped: ${live.linkRates ? ratesText(live.linkRates) : "?"}; ` +
      `peak RSS ${rss.toFixed(0)} MiB (largest of ${live.processes.length} processes)`,
  );
  if (live.linkShortfall) console.log(`  warning: ${live.linkShortfall}`);
}
if (bad > 0) {
  console.log(
    `${bad} of ${runs.length} runs not ok${values.strict ? ` or outside 1 ± ${tolerance}` : ""}`,
  );
  process.exit(1);
}
