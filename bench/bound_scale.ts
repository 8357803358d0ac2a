/**
 * The lower bound and the foresight policy at scale: per scenario (the
 * canonical one, 8 caches × 32 clients over 4,000 files × 200 requests, 16
 * caches × 64 clients over 8,000 files × 200 requests; seed 1), the exact
 * fluid bound (dense simplex or HiGHS, whichever `exactScenarioBound`
 * picks), the seconds it took, the bound without HiGHS measured in the same
 * run as the baseline (the dense simplex, or the closed form past its
 * tableau), and foresight's simulated makespan and its ratio to the exact
 * bound.
 *
 *   npx bun bench/bound_scale.ts
 *   npx bun bench/bound_scale.ts --sizes canonical,8x32
 *   npx deno run -A bench/bound_scale.ts
 *
 * @module
 */

import process from "node:process";
import { parseArgs } from "node:util";
import { CANONICAL, type Scenario } from "../core/run/scenario.ts";
import { exactScenarioBound } from "../sim/highs_solver.ts";
import { boundInput, type LowerBound, lowerBound } from "../sim/lower_bound.ts";
import { simulate } from "../sim/simulator.ts";

const SIZES: Record<string, Scenario> = {
  canonical: { ...CANONICAL },
  "8x32": { ...CANONICAL, caches: 8, clients: 32, files: 4000, requests: 200 },
  "16x64": { ...CANONICAL, caches: 16, clients: 64, files: 8000, requests: 200 },
};

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: { sizes: { type: "string", default: Object.keys(SIZES).join(",") } },
});

const names = values.sizes.split(",");
for (const name of names) {
  if (!(name in SIZES)) {
    console.error(`Cannot run size ${name}: expected one of ${Object.keys(SIZES).join(", ")}`);
    process.exit(2);
  }
}

const runtime = "Bun" in globalThis ? "bun" : "Deno" in globalThis ? "deno" : "node";
console.log(`runtime: ${runtime}`);
const method = (b: LowerBound) => b.exact ? `exact (${b.solver})` : "closed form";
const row = (cells: string[]) =>
  console.log(cells.map((c, i) => c.padStart(i ? 14 : 10)).join(" "));
row([
  "scenario",
  "bound s",
  "method",
  "solve s",
  "w/o HiGHS s",
  "method",
  "solve s",
  "foresight s",
  "× bound",
]);
for (const name of names) {
  const s = SIZES[name]!;
  let t0 = performance.now();
  const exact = await exactScenarioBound(s);
  const exactSeconds = (performance.now() - t0) / 1000;
  t0 = performance.now();
  const base = lowerBound(boundInput(s));
  const baseSeconds = (performance.now() - t0) / 1000;
  const r = simulate({ ...s, policy: "foresight" });
  row([
    name,
    exact.seconds.toFixed(2),
    method(exact),
    exactSeconds.toFixed(2),
    base.seconds.toFixed(2),
    method(base),
    baseSeconds.toFixed(2),
    r.makespan.toFixed(2),
    (r.makespan / exact.seconds).toFixed(4),
  ]);
}
