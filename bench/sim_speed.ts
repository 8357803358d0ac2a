/**
 * How fast the simulator runs: every policy on the canonical scenario, then
 * on a large one (16 caches, 256 clients × 1,000 requests, 100,000 files),
 * printing wall time, steps and steps per second (a step is one event: a
 * transfer's start or end, or one control message).
 *
 *   npx bun bench/sim_speed.ts
 *   npx bun bench/sim_speed.ts --against 9183287     # A/B against that commit's simulator
 *   npx deno run -A bench/sim_speed.ts
 *
 * `--large-only` / `--canonical-only` run one half. `--against REV` extracts
 * that commit's tree (`git archive`) into a temporary folder and times its
 * `simulate` beside today's in the same process: `--runs` (default 3) pairs,
 * the order alternating (today first, then that commit first, …), and prints
 * the medians and their ratio (today / then: below 1 is faster), of wall time
 * and of the process's CPU time (which a loaded machine distorts less). A
 * canonical sample runs the scenario 20 times (one run is a few
 * milliseconds). The header gives the load average. Needs git and Bun or
 * Deno (they import TypeScript).
 *
 * @module
 */

import process from "node:process";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { CANONICAL, POLICIES, type Scenario } from "../core/run/scenario.ts";
import { scenarioBound } from "../sim/lower_bound.ts";
import { simulate } from "../sim/simulator.ts";

const LARGE: Scenario = { ...CANONICAL, caches: 16, clients: 256, requests: 1_000, files: 100_000 };

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    "large-only": { type: "boolean", default: false },
    "canonical-only": { type: "boolean", default: false },
    against: { type: "string" },
    runs: { type: "string", default: "3" },
  },
});

type Simulate = (s: Scenario) => { makespan: number; steps: number };

/** That commit's `simulate`, from its tree extracted beside this one's node_modules. */
async function simulatorAt(rev: string): Promise<{ simulate: Simulate; cleanup: () => void }> {
  const root = resolve(import.meta.dirname ?? ".", "..");
  const dir = mkdtempSync(join(tmpdir(), "foresight-sim-"));
  const tar = execFileSync("git", ["-C", root, "archive", rev], { maxBuffer: 1 << 30 });
  execFileSync("tar", ["-x", "-C", dir], { input: tar });
  symlinkSync(join(root, "node_modules"), join(dir, "node_modules"));
  const mod = await import(join(dir, "sim", "simulator.ts"));
  return { simulate: mod.simulate as Simulate, cleanup: () => rmSync(dir, { recursive: true }) };
}

interface Sample {
  /** Wall and CPU milliseconds per run of the scenario. */
  ms: number;
  cpu: number;
  makespan: number;
  steps: number;
}

/** Runs `s` `reps` times; the time per run. */
function time(sim: Simulate, s: Scenario, reps: number): Sample {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let r = sim(s);
  for (let i = 1; i < reps; i++) r = sim(s);
  const ms = (performance.now() - t0) / reps;
  const c = process.cpuUsage(c0);
  return { ms, cpu: (c.user + c.system) / 1000 / reps, makespan: r.makespan, steps: r.steps };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function run(name: string, base: Scenario, then?: Simulate): void {
  const t0 = performance.now();
  const bound = scenarioBound(base);
  const boundMs = performance.now() - t0;
  console.log(
    `\n${name}: ${base.caches} caches, ${base.clients} clients × ${base.requests} requests, ${base.files} files` +
      ` — lower bound ${bound.seconds.toFixed(1)} s${bound.exact ? "" : " (relaxed)"} in ${
        boundMs.toFixed(0)
      } ms`,
  );
  console.log(
    "policy     makespan s  × bound   steps      wall ms   steps/s" +
      (then ? "     then ms  then makespan  now/then  cpu now/then" : ""),
  );
  const runs = Math.max(1, Number(values.runs));
  const reps = base === CANONICAL ? 20 : 1;
  for (const policy of POLICIES) {
    const s = { ...base, policy };
    if (then) {
      // Warm both up first (JIT), so neither pays for compiling: a sample's worth each.
      time(simulate, s, reps);
      time(then, s, reps);
    }
    const now: Sample[] = [];
    const old: Sample[] = [];
    for (let i = 0; i < (then ? runs : 1); i++) {
      // Pairs in alternating order, so a drift of the machine's load favours neither.
      if (i % 2 === 0 || !then) now.push(time(simulate, s, reps));
      if (then) old.push(time(then, s, reps));
      if (i % 2 === 1 && then) now.push(time(simulate, s, reps));
    }
    const ms = median(now.map((x) => x.ms));
    const r = now[0]!;
    let tail = "";
    if (then) {
      const oldMs = median(old.map((x) => x.ms));
      const cpu = median(now.map((x) => x.cpu)) / median(old.map((x) => x.cpu));
      tail = `  ${oldMs.toFixed(0).padStart(9)}  ${old[0]!.makespan.toFixed(1).padStart(13)}  ${
        (ms / oldMs).toFixed(3).padStart(8)
      }  ${cpu.toFixed(3).padStart(12)}`;
    }
    console.log(
      `${policy.padEnd(9)}  ${r.makespan.toFixed(1).padStart(10)}  ${
        (r.makespan / bound.seconds).toFixed(4)
      }  ${String(r.steps).padStart(9)}  ${ms.toFixed(0).padStart(8)}  ${
        Math.round(r.steps / (ms / 1000)).toLocaleString("en-US").padStart(9)
      }` + tail,
    );
  }
}

console.log(
  `runtime: ${
    (globalThis as { Bun?: unknown }).Bun
      ? "bun"
      : (globalThis as { Deno?: unknown }).Deno
      ? "deno"
      : "node"
  }${values.against ? `; against ${values.against}` : ""}`,
);
console.log(`load average: ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);
const then = values.against ? await simulatorAt(values.against) : undefined;
try {
  if (!values["large-only"]) run("canonical", CANONICAL, then?.simulate);
  if (!values["canonical-only"]) run("large", LARGE, then?.simulate);
} finally {
  then?.cleanup();
}
