/**
 * Compares a live run's engine inputs with its simulation's, engine by
 * engine: what each client fetched from where and how it was answered, how
 * long hits and misses took, and which cache misses came before the cache
 * asked for that file in the model's time (the model would have had them
 * wait). The live run's times are converted to simulated seconds from the
 * origin's start (wall time × scale).
 *
 *   npx foresight run --policy seed --files 2500 --caches 1 --clients 3 --requests 300 \
 *     --capacity-kib 30000 --seed 7 --scale 4 --trace-inputs /tmp/t
 *   npx bun bench/trace_diff.ts /tmp/t                      # per client: paths and times
 *   npx bun bench/trace_diff.ts /tmp/t --files 20           # the first 20 files that differ
 *   npx bun bench/trace_diff.ts /tmp/t --window 5.6,5.9     # every input of both in that span
 *
 * The scenario is read from the origin's trace (`origin-0.jsonl`); the
 * simulation runs here with the same engines, recorded the same way.
 *
 * @module
 */

import process from "node:process";
import { readdirSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { SimRun } from "../sim/sim_run.ts";
import { type InputRecord, recordInputs } from "../engine/input_trace.ts";
import { requestList, type Scenario } from "../core/run/scenario.ts";

const { values, positionals } = parseArgs({
  args: process.argv.slice(2),
  allowPositionals: true,
  options: {
    files: { type: "string", default: "0" },
    window: { type: "string" },
    only: { type: "string" },
  },
});
if (positionals.length !== 1) {
  console.error("usage: bun bench/trace_diff.ts DIR [--files N] [--window FROM,TO [--only NAME]]");
  process.exit(2);
}

// deno-lint-ignore no-explicit-any
type Rec = { now: number; input: any; effects: any[] };
/** A trace per engine: "origin", "cache0", "client2". */
type Traces = Record<string, Rec[]>;

/** The live traces, the scenario, and a converter of their clock times to simulated seconds. */
function readLive(dir: string): { traces: Traces; s: Scenario; toSim: (ms: number) => number } {
  const traces: Traces = {};
  let s: Scenario | undefined;
  for (const name of readdirSync(dir).filter((f) => f.endsWith(".jsonl"))) {
    const [header, ...recs] = readFileSync(`${dir}/${name}`, "utf8").trim().split("\n").map((l) =>
      JSON.parse(l)
    );
    if (header.trace !== "foresight-inputs") continue;
    const key = header.role === "origin" ? "origin" : `${header.role}${header.index}`;
    traces[key] = recs;
    if (header.scenario) s = header.scenario;
  }
  if (!s || !traces.origin) throw new Error(`Cannot compare: no origin trace in ${dir}`);
  let t0 = NaN;
  for (const r of traces.origin) {
    for (const e of r.effects) if (e.event?.event === "start") t0 = e.event.at;
  }
  const scale = s.scale;
  return { traces, s, toSim: (ms) => (ms - t0) / 1000 * scale };
}

/** The simulation of `s`, every engine recorded. */
function simulateTraced(s: Scenario): Traces {
  const lists = Array.from(
    { length: s.clients },
    (_, c) => requestList(s.seed, c, s.files, s.requests),
  );
  const traces: Traces = { origin: [] };
  const into = (key: string) => (r: InputRecord) => (traces[key] ??= []).push(r as Rec);
  const run = new SimRun(s, lists);
  recordInputs(run.origin, into("origin"));
  run.caches.forEach((c, k) => recordInputs(c.engine, into(`cache${k}`)));
  run.clients.forEach((c, k) => recordInputs(c.engine, into(`client${k}`)));
  run.begin();
  while (run.agenda.step());
  return traces;
}

/** One file of a client: the sources asked and their answers, when it was asked and when it ended. */
interface Fetch {
  path: string;
  at: number;
  end: number;
}

/** Each file of a client's trace, in the order it was asked for. */
function fetches(recs: Rec[], t: (x: number) => number): Map<number, Fetch> {
  const m = new Map<number, Fetch>();
  for (const r of recs) {
    for (const e of r.effects) {
      if (e.kind !== "request") continue;
      const f = m.get(e.file);
      const step = `ask ${e.source < 0 ? "origin" : `cache ${e.source}`}`;
      if (f) f.path += `, ${step}`;
      else m.set(e.file, { path: step, at: t(e.at), end: NaN });
    }
    const f = m.get(r.input.file);
    if (r.input.type === "missed") f!.path += " → miss";
    // Live: a header then an end; simulated: one `file` input, both at once.
    if (r.input.type === "fileBegan" || r.input.type === "file") f!.path += ` → ${r.input.kind}`;
    if (r.input.type === "fileEnded" || r.input.type === "file") f!.end = t(r.now);
  }
  return m;
}

/** Per path: files, their KiB and the seconds from ask to end. */
function account(m: Map<number, Fetch>): string {
  const by = new Map<string, { n: number; s: number; kib: number }>();
  for (const [file, f] of m) {
    const a = by.get(f.path) ?? { n: 0, s: 0, kib: 0 };
    a.n++, a.s += f.end - f.at, a.kib += file;
    by.set(f.path, a);
  }
  return [...by].map(([p, a]) => `${p}: ${a.n} files, ${(a.s / a.kib * 1000).toFixed(3)} s/MiB`)
    .join("; ");
}

/** Misses a cache answered for a file it asked the origin for no later (model time) than the request. */
function earlyMisses(recs: Rec[] | undefined): { misses: number; early: number } {
  const asked = new Map<number, number>();
  for (const r of recs ?? []) {
    for (const e of r.effects) {
      if (e.kind === "toOrigin" && e.message.type === "request") {
        asked.set(e.message.file, e.message.at);
      }
    }
  }
  let misses = 0, early = 0;
  for (const r of recs ?? []) {
    for (const e of r.effects) {
      if (e.kind !== "miss") continue;
      misses++;
      const a = asked.get(e.file);
      if (a !== undefined && e.at !== undefined && a <= e.at) early++;
    }
  }
  return { misses, early };
}

/** One record as a line, times in simulated seconds. */
function line(r: Rec, t: (x: number) => number): string {
  const times = (o: Record<string, unknown>) =>
    Object.fromEntries(
      Object.entries(o).filter(([k]) => k !== "scenario" && k !== "lists" && k !== "fields")
        .map(([k, v]) =>
          ["at", "due", "began", "cause"].includes(k) && typeof v === "number"
            ? [k, +t(v).toFixed(3)]
            : [k, v]
        ),
    );
  const effects = r.effects.filter((e) => e.kind !== "log" && e.kind !== "report").map((e) =>
    times(e.message ? { ...e, message: times(e.message) } : e)
  );
  return `${t(r.now).toFixed(3).padStart(9)} ${JSON.stringify(times(r.input))} → ${
    JSON.stringify(effects)
  }`;
}

const live = readLive(positionals[0]!);
const sim = simulateTraced(live.s);
const same = (x: number) => x;
const s = live.s;
console.log(
  `${s.caches} caches × ${s.clients} clients, ${s.files} files / ${s.requests} requests, seed ${s.seed}, policy ${s.policy}, scale ${s.scale}`,
);
if (values.window) {
  const [from, to] = values.window.split(",").map(Number) as [number, number];
  for (
    const [name, traces, t] of [["sim", sim, same], ["live", live.traces, live.toSim]] as const
  ) {
    console.log(`--- ${name}`);
    for (const key of Object.keys(traces).sort()) {
      if (values.only && key !== values.only) continue;
      for (const r of traces[key]!) {
        const at = t(r.now);
        if (at >= from && at <= to) console.log(`${key.padEnd(8)} ${line(r, t)}`);
      }
    }
  }
  process.exit(0);
}
for (let c = 0; c < s.clients; c++) {
  const a = fetches(sim[`client${c}`]!, same);
  const b = fetches(live.traces[`client${c}`] ?? [], live.toSim);
  const differ = [...a].filter(([f, x]) => b.get(f)?.path !== x.path);
  const end = (m: Map<number, Fetch>) => Math.max(...[...m.values()].map((f) => f.end));
  console.log(
    `client ${c}: sim ends ${end(a).toFixed(2)} s, live ${end(b).toFixed(2)} s (${
      (end(b) / end(a)).toFixed(4)
    }); ${differ.length} of ${a.size} files answered otherwise`,
  );
  console.log(`  sim:  ${account(a)}\n  live: ${account(b)}`);
  for (const [f, x] of differ.slice(0, Number(values.files))) {
    const y = b.get(f);
    console.log(
      `  file ${f}: sim ${x.path} (${x.at.toFixed(2)}→${x.end.toFixed(2)}) | live ${y?.path} (${
        y?.at.toFixed(2)
      }→${y?.end.toFixed(2)})`,
    );
  }
}
for (let k = 0; k < s.caches; k++) {
  const a = earlyMisses(sim[`cache${k}`]), b = earlyMisses(live.traces[`cache${k}`]);
  console.log(
    `cache ${k}: sim ${a.misses} misses, live ${b.misses}; live misses of a file the cache had asked for by the request's time: ${b.early} (sim ${a.early})`,
  );
}
