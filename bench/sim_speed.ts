/**
 * How fast the simulator runs: every policy on the canonical scenario, then
 * on a large one (16 caches, 256 clients × 1,000 requests, 100,000 files),
 * printing wall time, steps and steps per second (a step is one event: a
 * transfer's start or end, or one control message).
 *
 *   npx bun bench/sim_speed.ts
 *   npx deno run bench/sim_speed.ts
 *   npx esbuild bench/sim_speed.ts --bundle --platform=node --format=esm \
 *     --packages=external --outfile=dist-test/bench/sim_speed.mjs && node dist-test/bench/sim_speed.mjs
 *
 * `--large-only` / `--canonical-only` run one half.
 *
 * @module
 */

import process from "node:process";
import { CANONICAL, POLICIES, type Scenario } from "../core/scenario.ts";
import { scenarioBound } from "../sim/lower_bound.ts";
import { simulate } from "../sim/simulator.ts";

const LARGE: Scenario = { ...CANONICAL, caches: 16, clients: 256, requests: 1_000, files: 100_000 };

function run(name: string, base: Scenario): void {
  const t0 = performance.now();
  const bound = scenarioBound(base);
  const boundMs = performance.now() - t0;
  console.log(
    `\n${name}: ${base.caches} caches, ${base.clients} clients × ${base.requests} requests, ${base.files} files` +
      ` — lower bound ${bound.seconds.toFixed(1)} s${bound.exact ? "" : " (relaxed)"} in ${
        boundMs.toFixed(0)
      } ms`,
  );
  console.log("policy     makespan s  × bound   steps      wall ms   steps/s");
  for (const policy of POLICIES) {
    const start = performance.now();
    const r = simulate({ ...base, policy });
    const ms = performance.now() - start;
    console.log(
      `${policy.padEnd(9)}  ${r.makespan.toFixed(1).padStart(10)}  ${
        (r.makespan / bound.seconds).toFixed(4)
      }  ${String(r.steps).padStart(9)}  ${ms.toFixed(0).padStart(8)}  ${
        Math.round(r.steps / (ms / 1000)).toLocaleString("en-US").padStart(9)
      }`,
    );
  }
}

const args = process.argv.slice(2);
console.log(
  `runtime: ${
    (globalThis as { Bun?: unknown }).Bun
      ? "bun"
      : (globalThis as { Deno?: unknown }).Deno
      ? "deno"
      : "node"
  }`,
);
if (!args.includes("--large-only")) run("canonical", CANONICAL);
if (!args.includes("--canonical-only")) run("large", LARGE);
