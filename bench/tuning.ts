/**
 * The benchmark that chooses the sending side's knobs: the chunk size
 * (`CHUNK_BYTES`, a cache's page size too) and the pacer's slot
 * (`PACER_SLOT_MS`). Per setting, over a short live scenario (every role its
 * own process, as `foresight run` starts them): the live makespan against
 * the simulator's for the same scenario (fidelity), wall time, what the links
 * achieved against their shaped rate and the largest peak RSS per role; and,
 * per chunk size, the relay benchmark's CPU seconds per GiB of the relay
 * process (bench/relay.ts, Foresight's path against a bare socket relay).
 *
 *   npm run build && npx bun bench/tuning.ts                     # node; 16, 64, 256 KiB × 0.5, 2, 5 ms
 *   npx bun bench/tuning.ts --runtime bun --chunk-kib 64,256 --slot-ms 0.5 --reps 3
 *   npx bun bench/tuning.ts --no-relay --scale 80                # fidelity and memory only
 *
 * Flags: the scenario flags of `foresight run` (default the canonical
 * scenario shortened to 250 requests per client, at scale 40: about 15 s of
 * wall time per run), `--runtime` (node, deno, bun or mixed; default node),
 * `--chunk-kib` (comma list, default 16,64,256), `--slot-ms` (comma list,
 * default 0.5,2,5), `--reps` (default 2: the settings run in turn, rep after
 * rep, so load that changes over time spreads over all of them; medians are
 * printed), `--no-relay` (skip the relay benchmark), `--relay-reps` (its
 * repetitions per chunk size, default 3). The roles get the setting through
 * `FORESIGHT_CHUNK_BYTES` and `FORESIGHT_PACER_SLOT_MS` (their `--chunk-bytes`
 * and `--pacer-slot-ms`). The relay runs on the same runtime (mixed: its
 * caches' runtime, Bun). Node roles run `dist/*.js`: build first. The load
 * average is printed with each run: on a shared machine compare settings
 * within one invocation only.
 *
 * @module
 */

import process from "node:process";
import { spawnSync } from "node:child_process";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { scenarioFlags, scenarioFrom } from "../roles/common.ts";
import { packageRoot, runScenario } from "../roles/run.ts";
import { ratesText } from "../report/link_rates.ts";
import { simulate } from "../sim/simulator.ts";
import { CHUNK_BYTES } from "../protocol/mod.ts";
import { PACER_SLOT_MS } from "../core/links/pacer.ts";
import { mib } from "./peak_rss.ts";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    ...scenarioFlags,
    requests: { ...scenarioFlags.requests, default: "250" },
    scale: { ...scenarioFlags.scale, default: "40" },
    runtime: { type: "string", default: "node" },
    "chunk-kib": { type: "string", default: "16,64,256" },
    "slot-ms": { type: "string", default: "0.5,2,5" },
    reps: { type: "string", default: "2" },
    "no-relay": { type: "boolean", default: false },
    "relay-reps": { type: "string", default: "3" },
  },
});

function list(name: string, min: number, max: number): number[] {
  const xs = String(values[name as keyof typeof values]).split(",").map(Number);
  if (xs.some((x) => !(x >= min && x <= max))) {
    console.error(
      `tuning: --${name} ${values[name as keyof typeof values]}: expected ${min}..${max}`,
    );
    process.exit(2);
  }
  return xs;
}

const chunks = list("chunk-kib", 1, 1023).map((k) => Math.round(k * 1024));
const slots = list("slot-ms", 0, 1000);
const reps = list("reps", 1, 100)[0]!;
const relayReps = list("relay-reps", 1, 100)[0]!;
const runtime = String(values.runtime);
if (!["node", "deno", "bun", "mixed"].includes(runtime)) {
  console.error(`tuning: --runtime ${runtime} is not node, deno, bun or mixed`);
  process.exit(2);
}
const scenario = scenarioFrom(values);
const simMakespan = simulate(scenario).makespan;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

interface Setting {
  chunkBytes: number;
  slotMs: number;
  ratios: number[];
  walls: number[];
  /** Largest peak RSS per role over the reps, bytes. */
  rss: Map<string, number>;
  failed: number;
}

const settings: Setting[] = chunks.flatMap((chunkBytes) =>
  slots.map((slotMs) => ({ chunkBytes, slotMs, ratios: [], walls: [], rss: new Map(), failed: 0 }))
);
const name = (s: { chunkBytes: number; slotMs: number }) =>
  `${s.chunkBytes / 1024} KiB, ${s.slotMs} ms`;

console.log(
  `tuning benchmark on ${runtime}: ${scenario.files} files, ${scenario.caches} caches, ` +
    `${scenario.clients} clients × ${scenario.requests} requests, scale ${scenario.scale}, ` +
    `policy ${scenario.policy}; simulated makespan ${simMakespan.toFixed(1)} s; ` +
    `defaults: chunk ${CHUNK_BYTES / 1024} KiB, pacer slot ${PACER_SLOT_MS} ms`,
);
for (let rep = 1; rep <= reps; rep++) {
  for (const s of settings) {
    process.env.FORESIGHT_CHUNK_BYTES = String(s.chunkBytes);
    process.env.FORESIGHT_PACER_SLOT_MS = String(s.slotMs);
    const load = loadavg()[0]!;
    const live = await runScenario(scenario, {
      runtime,
      host: "127.0.0.1",
      logLevel: "error",
      timeoutS: 3600,
    });
    if (live.interrupted !== undefined) process.exit(130);
    const ratio = live.simSeconds / simMakespan;
    if (live.ok) {
      s.ratios.push(ratio);
      s.walls.push(live.wallSeconds);
    } else s.failed++;
    for (const p of live.processes) {
      s.rss.set(p.role, Math.max(s.rss.get(p.role) ?? 0, p.peakRssBytes));
    }
    console.log(
      `  rep ${rep} ${name(s).padEnd(16)} live/sim ${ratio.toFixed(4)}  wall ${
        live.wallSeconds.toFixed(1)
      } s  ${live.ok ? "ok" : "NOT OK"}  load ${load.toFixed(1)}  links ${
        live.linkRates ? ratesText(live.linkRates) : "?"
      }`,
    );
  }
}
delete process.env.FORESIGHT_CHUNK_BYTES;
delete process.env.FORESIGHT_PACER_SLOT_MS;

/** The relay benchmark's per-GiB CPU seconds of the relay process, bare and Foresight, per chunk size. */
function relayCpu(chunkBytes: number): string {
  const relayRuntime = runtime === "mixed" ? "bun" : runtime;
  const root = packageRoot();
  const out = spawnSync(
    `${root}/node_modules/.bin/bun`,
    [
      "bench/relay.ts",
      "--runtime",
      relayRuntime,
      "--reps",
      String(relayReps),
      "--chunk-bytes",
      String(chunkBytes),
    ],
    { cwd: root, encoding: "utf8" },
  );
  // The summary row: runtime, MB/s bare and fs., ratio, range, MiB bare and fs., CPU bare and fs.
  const row = out.stdout.trim().split("\n").at(-1)?.trim().split(/\s+/) ?? [];
  if (out.status !== 0 || row[0] !== relayRuntime || row.length < 9) return "relay failed";
  const relayOf = (triple: string) => triple.split("/")[1] ?? "?";
  return `relay CPU s/GiB bare ${relayOf(row[7]!)}, foresight ${relayOf(row[8]!)} ` +
    `(f/bare ${row[3]}, relay peak ${row[6]} MiB)`;
}

console.log(
  "\nper setting: median live/sim (fidelity; 1 = the simulator's makespan), its range, median wall," +
    " largest peak RSS per role (MiB)",
);
console.log("chunk, slot        live/sim   range            wall s  origin  cache  client");
for (const s of settings) {
  const r = s.ratios;
  const range = r.length ? `${Math.min(...r).toFixed(4)}–${Math.max(...r).toFixed(4)}` : "-";
  console.log(
    `${name(s).padEnd(17)} ${(r.length ? median(r).toFixed(4) : "-").padStart(8)}   ${
      range.padEnd(15)
    } ${(r.length ? median(s.walls).toFixed(1) : "-").padStart(7)}  ${
      ["origin", "cache", "client"].map((role) => mib(s.rss.get(role) ?? 0).padStart(6)).join(" ")
    }${s.failed ? `  ${s.failed} run(s) not ok` : ""}`,
  );
}
if (!values["no-relay"]) {
  console.log(
    `\nrelay benchmark per chunk size (${relayReps} reps each, load ${loadavg()[0]!.toFixed(1)})`,
  );
  for (const chunkBytes of chunks) {
    console.log(`${(chunkBytes / 1024 + " KiB").padEnd(9)} ${relayCpu(chunkBytes)}`);
  }
}
