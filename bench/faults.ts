/**
 * Faults, repeated: every role a real process (an origin, 2 caches, 4 clients
 * on the small scenario of tests/e2e/roles.ts); in each run one fault is
 * injected at a phase the origin has reported, pinned there (see
 * bench/fault_rows.ts for each row), and the table says what the survivors
 * made of it, per policy over the runs:
 *
 * - phase: the phase the origin reports the loss in (its summary's `lost`),
 *   `—` where nothing is lost;
 * - lost / corrupt: files a surviving client did not get (it ended without
 *   them, or the run hung and was killed after 45 s) and files that failed
 *   verification;
 * - completed: runs in which the fault was injected as meant, every surviving
 *   process exited 0 and the fault's own check held (a restarted cache
 *   served again and ended empty, a cut was one real RST, a bad connection
 *   was closed by its server, a slow client was dropped at the idle limit
 *   while the others finished).
 *
 *   node scripts/build.mjs && npx bun bench/faults.ts [--runs 3] [--only "while warming"]
 *
 * Progress lines go to stderr, the Markdown table to stdout. `--only` (may be
 * repeated) keeps the rows whose name contains it. Exits 1 on any file lost
 * or corrupt, a loss reported in another phase than meant (or a loss where
 * none was meant), or a run that did not complete.
 *
 * @module
 */

import process from "node:process";
import { parseArgs } from "node:util";
import {
  killGroup,
  killStragglers,
  REQUESTS,
  type Role,
  rolesOf,
  startCluster,
  summaryOf,
  teardown,
} from "../tests/e2e/roles.ts";
import { type FaultRow, type Injected, ROWS } from "./fault_rows.ts";

const POLICIES = ["foresight", "seed"] as const;
/** A run still going this long after its fault is killed (its clients' missing files count as lost). */
const RUN_TIMEOUT_MS = 45_000;

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    runs: { type: "string", default: "1" },
    only: { type: "string", multiple: true },
  },
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) {
  console.error(`Cannot run: --runs must be a whole number ≥ 1, got "${values.runs}"`);
  process.exit(2);
}
const only = (values.only ?? []).map((o) => o.toLowerCase());
const rows = ROWS.filter((r) =>
  only.length === 0 || only.some((o) => r.name.toLowerCase().includes(o))
);
if (rows.length === 0) {
  console.error(`Cannot run: no row matches ${only.map((o) => `"${o}"`).join(", ")}; rows:`);
  for (const r of ROWS) console.error(`  ${r.name}`);
  process.exit(2);
}
process.on("SIGINT", () => (killStragglers(), process.exit(130)));

interface Outcome {
  lost: number;
  corrupt: number;
  /** The phases of the origin's `lost` entries. */
  phases: string[];
  /** The loss was reported as meant: one entry per victim in the row's phase, or none. */
  phaseOk: boolean;
  completed: boolean;
  note?: string;
  problems: string[];
}

async function once(row: FaultRow, policy: string, seed: number): Promise<Outcome> {
  const c = await startCluster({ logLevel: "error", ...row.cluster, policy, seed });
  const problems: string[] = [];
  let inj: Injected = { victims: [] };
  try {
    inj = await row.inject(c);
  } catch (e) {
    problems.push(`the fault was not injected as meant: ${(e as Error).message}`);
  }
  const all: Role[] = [...rolesOf(c), ...(inj.extra ?? [])];
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    for (const r of all) killGroup(r.proc);
  }, RUN_TIMEOUT_MS);
  const codes = await Promise.all(all.map((r) => r.exit));
  clearTimeout(timer);
  await teardown(c, inj.extra);
  if (timedOut) problems.push(`the run was still going ${RUN_TIMEOUT_MS} ms after the fault`);

  let lost = 0;
  let corrupt = 0;
  all.forEach((r, i) => {
    if (inj.victims.includes(r)) return;
    if (codes[i] !== 0) {
      problems.push(
        `${r.role} ${summaryOf(r)?.index ?? ""} exited ${codes[i]}: ${summaryOf(r)?.error ?? ""}`,
      );
    }
    if (r.role !== "client") return;
    const s = summaryOf(r);
    // A client killed at the timeout prints no summary: what it had by its
    // last progress report counts as received.
    const had = s?.verified ?? r.events.findLast((e) => e.event === "progress")?.files ?? 0;
    lost += REQUESTS - had;
    corrupt += s?.corrupt ?? 0;
  });
  const reported: { role: string; index: number; phase: string }[] = summaryOf(c.origin)?.lost ??
    [];
  const phases = reported.map((l) => l.phase);
  const phaseOk = row.phase === undefined
    ? reported.length === 0
    : reported.length === inj.victims.length && phases.every((p) => p === row.phase);
  if (!phaseOk) {
    problems.push(
      `the origin reported ${JSON.stringify(reported)}; meant: ${
        row.phase === undefined ? "nothing lost" : `${inj.victims.length} lost while ${row.phase}`
      }`,
    );
  }
  const failed = inj.check?.();
  if (failed) problems.push(failed);
  return {
    lost,
    corrupt,
    phases,
    phaseOk,
    completed: problems.length === 0,
    note: inj.note?.(),
    problems,
  };
}

interface Tally {
  lost: number;
  corrupt: number;
  completed: number;
  notes: Map<string, number>;
}

const t0 = performance.now();
const total = rows.length * POLICIES.length * runs;
let done = 0;
let bad = false;
const lines: string[][] = [];
for (const row of rows) {
  const phases = new Set<string>();
  let phasesOk = true;
  const tallies: Tally[] = [];
  for (const policy of POLICIES) {
    const t: Tally = { lost: 0, corrupt: 0, completed: 0, notes: new Map() };
    for (let r = 0; r < runs; r++) {
      const start = performance.now();
      const x = await once(row, policy, r + 1);
      done++;
      t.lost += x.lost;
      t.corrupt += x.corrupt;
      if (x.completed) t.completed++;
      if (x.note) t.notes.set(x.note, (t.notes.get(x.note) ?? 0) + 1);
      x.phases.forEach((p) => phases.add(p));
      phasesOk &&= x.phaseOk;
      if (x.lost > 0 || x.corrupt > 0 || !x.phaseOk || !x.completed) bad = true;
      console.error(
        `[${done}/${total}] ${row.name}, ${policy}, run ${r + 1}: ${
          x.completed && x.lost === 0 && x.corrupt === 0 ? "ok" : "FAILED"
        } (lost ${x.lost}, corrupt ${x.corrupt}, phase ${x.phases.join(",") || "—"}${
          x.note ? `, ${x.note}` : ""
        }) in ${((performance.now() - start) / 1000).toFixed(1)} s`,
      );
      for (const p of x.problems) console.error(`    ${p}`);
    }
    tallies.push(t);
  }
  const cells = tallies.flatMap((t) => [
    `${t.lost} / ${t.corrupt}`,
    `${t.completed} of ${runs}${[...t.notes].map(([note, n]) => `; ${note} in ${n}`).join("")}`,
  ]);
  const phase = `${[...phases].join(", ") || "—"}${
    phasesOk ? "" : ` (meant: ${row.phase ?? "nothing lost"})`
  }`;
  lines.push([row.name, phase, ...cells]);
}

const header = [
  "fault",
  "phase",
  ...POLICIES.flatMap((p) => [`${p}: lost / corrupt`, `${p}: completed`]),
];
const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
console.log(
  [line(header), line(widths.map((w) => "-".repeat(w))), ...lines.map(line)].join("\n"),
);
console.error(
  `${total} runs in ${((performance.now() - t0) / 1000).toFixed(0)} s; ${
    bad ? "FAILED" : "no file lost or corrupt, every loss in the phase meant"
  }`,
);
process.exit(bad ? 1 : 0);
