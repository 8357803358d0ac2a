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
 *   npx bun bench/fidelity.ts --sweep 20,40,60,80,120 --runtime node,deno,bun,mixed --policy foresight
 *
 * Flags: the scenario flags of `foresight run` (--policy may be a comma list;
 * default "seed,foresight"), --runtime (default node; a comma list runs
 * everything on each in turn), --sweep (a comma list of scales: every run at
 * each, then a table of live/sim per runtime and scale), --table (every policy
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
    sweep: { type: "string" },
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
const scenarios: Scenario[] = values.table
  ? [{}, ...OFF_GRID].flatMap((over) =>
    POLICIES.map((policy) => ({ ...CANONICAL, ...over, scale: base.scale, policy }))
  )
  : String(values.policy).split(",").map((p) => ({ ...base, policy: p as PolicyName }));
const sweep = values.sweep === undefined ? undefined : String(values.sweep).split(",").map(Number);
if (sweep !== undefined && (auto || sweep.some((x) => !(x > 0)))) {
  console.error(
    `fidelity: --sweep ${values.sweep}: expected positive scales (and no --scale auto)`,
  );
  process.exit(2);
}
const runtimes = String(values.runtime).split(",");
const runs: { scenario: Scenario; runtime: string }[] = runtimes.flatMap((runtime) =>
  (sweep ?? [undefined]).flatMap((scale) =>
    scenarios.map((s) => ({ scenario: scale === undefined ? s : { ...s, scale }, runtime }))
  )
);
const tolerance = Number(values.tolerance);
/** live/sim by runtime, then by scale (for --sweep's table). */
const swept = new Map<string, Map<number, string[]>>();

console.log(
  "scenario (caches×clients, files/requests, seed)  policy     runtime  scale  sim s    live s   live/sim  wall s  ok",
);
let bad = 0;
for (const { scenario: given, runtime } of runs) {
  const sim = simulate(given);
  let scenario = given;
  if (auto) {
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
    runtime,
    host: "127.0.0.1",
    logLevel: "error",
    timeoutS: 3600,
  });
  const ratio = live.simSeconds / sim.makespan;
  const off = Math.abs(ratio - 1) > tolerance;
  if (!live.ok || (off && values.strict)) bad++;
  const name =
    `${scenario.caches}×${scenario.clients}, ${scenario.files}/${scenario.requests}, seed ${scenario.seed}`;
  const cell = `${ratio.toFixed(4)}${live.ok ? "" : " (not ok)"}`;
  const row = swept.get(runtime) ?? new Map<number, string[]>();
  swept.set(runtime, row.set(scenario.scale, [...(row.get(scenario.scale) ?? []), cell]));
  console.log(
    `${name.padEnd(47)}  ${scenario.policy.padEnd(9)}  ${runtime.padEnd(7)}  ${
      String(scenario.scale).padStart(5)
    }  ${sim.makespan.toFixed(1).padStart(7)}  ${live.simSeconds.toFixed(1).padStart(7)}  ${
      ratio.toFixed(4).padStart(8)
    }  ${live.wallSeconds.toFixed(1).padStart(6)}  ${live.ok}${
      off ? "  ← outside ±" + tolerance * 100 + " %" : ""
    }`,
  );
  const rss = Math.max(...live.processes.map((p) => p.peakRssBytes)) / 1_048_576;
  console.log(
    `  links achieved ÷ shaped: ${live.linkRates ? ratesText(live.linkRates) : "?"}; ` +
      `peak RSS ${rss.toFixed(0)} MiB (largest of ${live.processes.length} processes)`,
  );
  if (live.linkShortfall) console.log(`  warning: ${live.linkShortfall}`);
}
if (sweep !== undefined) {
  console.log(
    `\nlive/sim per runtime and scale (${scenarios.map((s) => s.policy).join(", ")}; ` +
      `outside 1 ± ${tolerance} marked *)`,
  );
  console.log(`runtime  ${sweep.map((x) => String(x).padStart(16)).join("")}`);
  for (const [runtime, row] of swept) {
    const cells = sweep.map((x) =>
      (row.get(x) ?? ["-"]).map((c) => Math.abs(parseFloat(c) - 1) > tolerance ? c + "*" : c)
        .join(" ").padStart(16)
    );
    console.log(`${runtime.padEnd(7)}  ${cells.join("")}`);
  }
}
if (bad > 0) {
  console.log(
    `${bad} of ${runs.length} runs not ok${values.strict ? ` or outside 1 ± ${tolerance}` : ""}`,
  );
  process.exit(1);
}
