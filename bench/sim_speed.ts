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
 * `simulate` beside today's in the same process, alternating, best of
 * `--runs` (default 3) each, and prints the ratio (today / then: below 1 is
 * faster). Needs git and Bun or Deno (they import TypeScript).
 *
 * @module
 */

import process from "node:process";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
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

function time(sim: Simulate, s: Scenario): { ms: number; makespan: number; steps: number } {
  const t0 = performance.now();
  const r = sim(s);
  return { ms: performance.now() - t0, makespan: r.makespan, steps: r.steps };
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
      (then ? "     then ms  then makespan  now/then" : ""),
  );
  const runs = Math.max(1, Number(values.runs));
  for (const policy of POLICIES) {
    const s = { ...base, policy };
    if (then) {
      // Warm both up first (JIT), so neither pays for compiling.
      simulate(s);
      then(s);
    }
    let now = time(simulate, s);
    let old = then ? time(then, s) : undefined;
    for (let i = 1; i < (then ? runs : 1); i++) {
      const a = time(simulate, s);
      if (a.ms < now.ms) now = a;
      const b = time(then!, s);
      if (b.ms < old!.ms) old = b;
    }
    console.log(
      `${policy.padEnd(9)}  ${now.makespan.toFixed(1).padStart(10)}  ${
        (now.makespan / bound.seconds).toFixed(4)
      }  ${String(now.steps).padStart(9)}  ${now.ms.toFixed(0).padStart(8)}  ${
        Math.round(now.steps / (now.ms / 1000)).toLocaleString("en-US").padStart(9)
      }` +
        (old
          ? `  ${old.ms.toFixed(0).padStart(9)}  ${old.makespan.toFixed(1).padStart(13)}  ${
            (now.ms / old.ms).toFixed(3).padStart(8)
          }`
          : ""),
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
const then = values.against ? await simulatorAt(values.against) : undefined;
try {
  if (!values["large-only"]) run("canonical", CANONICAL, then?.simulate);
  if (!values["canonical-only"]) run("large", LARGE, then?.simulate);
} finally {
  then?.cleanup();
}
