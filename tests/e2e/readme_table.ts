// How each command the README shows is exercised (the table readme_commands_test.ts checks
// and runs): by a test (or by .ci/run) that runs it or the same program, checked by grepping
// that file; or run with the smallest arguments that still do the work, with a check of its
// output; or as a role of the quick start's cluster.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../../roles/run.ts";
import type { RunReport } from "../../report/run_report.ts";

export const root = packageRoot();
export const readme = readFileSync(join(root, "README.md"), "utf8");

/** How a README command is exercised. */
export type How =
  /** By `by` (a *_test.ts the suite runs, scripts/test.sh or .ci/run), which matches every `grep`. */
  | { by: string; grep: RegExp[] }
  /** Run here (each command, in order): exit 0, then `check` on its stdout. */
  | { run: string | string[]; check: (stdout: string) => void }
  /** One role of the quick-start cluster run here (`$ORIGIN`: the origin's address). */
  | { role: "origin" | "cache" | "client"; run: string }
  /** `a && b` whose steps the table lists on their own. */
  | { steps: string[] };

/** A scenario of a few seconds (the quick start test's), and it at scale 50. */
const SCENARIO = "--files 300 --requests 30 --capacity-kib 2000";
const SMALL = `${SCENARIO} --scale 50`;
/** 1,000 decoder cases and 32 fuzz connections to a real origin and cache; not the ~12 s timeout checks. */
const FUZZ = "--cases 1000 --connections 32 --no-checks";

/** A generated folder of real sizes and its demand, compared (sizes only: sparse files). */
const TREE = "/tmp/foresight-tree";
/** Where the README's trace comparison writes its traces. */
const TRACES = "/tmp/foresight-traces";
const TREE_COMPARE = `npx bun bench/make_tree.ts --out ${TREE} --sparse && ` +
  `npx foresight sim --dir ${TREE}/files --demand ${TREE}/demand.csv --compare`;

const matches = (...res: RegExp[]) => (out: string) => {
  for (const re of res) assert.match(out, re);
};
const fuzzed = (runtime: string) =>
  matches(new RegExp(`^  runtime +${runtime}$`, "m"), /^ {2}escapes +0 /m, /^ {2}violations +0$/m);
const testSh = (...grep: RegExp[]): How => ({ by: "scripts/test.sh", grep });

export const HOW: Record<string, How> = {
  // The first screen, and npm's own commands.
  "npm ci && npm start": { steps: ["npm ci", "npm start"] },
  "npm test": { by: ".ci/run", grep: [/^npm test$/m] },
  "npm ci": { by: ".ci/run", grep: [/^npm ci\b/m] },
  "npm ci && npm test": { by: ".ci/run", grep: [/^npm ci\b.*\nnpm test$/m] },
  // One run for both (the same command runs once); the text report is checked with
  // `foresight run --runtime` below.
  "npm start": { run: `npm start -- --json ${SMALL}`, check: (out) => assertReport(out, "node") },
  "npm start -- --json": {
    run: `npm start -- --json ${SMALL}`,
    check: (out) => assertReport(out, "node"),
  },
  "npm start -- --help": {
    run: "npm start -- --help",
    check: matches(/^foresight run — /m, /^ {2}--runtime /m, /^ {2}--idle-ms /m, /^ {2}--json /m),
  },
  "npm pack": { by: "tests/e2e/package_types_test.ts", grep: [/run\("npm", \["pack"/] },

  // Quick start per runtime: the commands quick_start_test.ts does not run, run here as one
  // cluster (a Bun origin, a Node and a Deno cache, a Deno and a Bun client).
  "node dist/data.js --listen 127.0.0.1:9000": {
    by: "tests/e2e/cli_manners_test.ts",
    grep: [/join\(root, "dist", "data\.js"\),[^)]*"--listen"/],
  },
  "deno task data": {
    by: "tests/e2e/quick_start_test.ts",
    grep: [/"deno",\s*"task",\s*"data",\s*"--listen"/],
  },
  "bun run roles/data.ts": {
    role: "origin",
    run: `bun run roles/data.ts --listen 127.0.0.1:0 ${SMALL} --clients 2`,
  },
  "node dist/cache.js --origin 127.0.0.1:9000": {
    role: "cache",
    run: "node dist/cache.js --origin $ORIGIN",
  },
  "deno task cache --origin 127.0.0.1:9000": {
    role: "cache",
    run: "deno task cache --origin $ORIGIN",
  },
  "bun run roles/cache.ts --origin 127.0.0.1:9000": {
    by: "tests/e2e/quick_start_test.ts",
    grep: [/"run", "roles\/cache\.ts", "--origin"/],
  },
  "node dist/client.js --origin 127.0.0.1:9000": {
    by: "tests/e2e/quick_start_test.ts",
    grep: [/\["node", "dist\/client\.js", "--origin"/],
  },
  "deno task client": { role: "client", run: "deno task client --origin $ORIGIN" },
  "bun run roles/client.ts": { role: "client", run: "bun run roles/client.ts --origin $ORIGIN" },
  // Deployment, one role per machine: hosts_test.ts starts each role with its own command on
  // its own host's address (a network namespace each) and checks the commands it ran.
  "node dist/data.js --listen 0.0.0.0:9000 --files 10000 --caches 2 --clients 4": {
    by: "tests/e2e/hosts_test.ts",
    grep: [/dist\\\/data\\\.js .*--listen/],
  },
  "node dist/cache.js --origin origin.example:9000 --listen 0.0.0.0:9100 --advertise cache1.example:9100":
    {
      by: "tests/e2e/hosts_test.ts",
      grep: [/dist\\\/cache\\\.js --origin .* --listen .* --advertise/],
    },
  "node dist/client.js --origin origin.example:9000": {
    by: "tests/e2e/hosts_test.ts",
    grep: [/dist\\\/client\\\.js --origin/],
  },
  "npx deno": { run: "npx deno --version", check: matches(/^deno \d+\.\d+\.\d+/m) },
  "npx bun": { run: "npx bun --version", check: matches(/^\d+\.\d+\.\d+/m) },

  // The CLI: the package's bin, which npx finds in a clone.
  "npx foresight run|sim|data|cache|client …": {
    run: "npx foresight --help",
    check: matches(
      /^usage: foresight <command>/m,
      ...["run", "sim", "data", "cache", "client"].map((c) => new RegExp(`^ {2}${c} +\\S`, "m")),
    ),
  },
  "foresight <command> --help": {
    run: ["run", "sim", "data", "cache", "client"].map((c) => `npx foresight ${c} --help`),
    check: (out) => {
      const command = /^foresight (run|sim|data|cache|client) — /.exec(out)?.[1];
      assert.ok(command, "a help text");
      for (const flag of ["help", ...readmeFlags(command)]) {
        assert.match(out, new RegExp(`^ {2}(-\\w, )?--${flag} `, "m"), `--${flag} is listed`);
      }
    },
  },
  "foresight run": { by: "tests/e2e/run_test.ts", grep: [/"cli\.js"\),\s*"run",/] },
  "foresight run --runtime node|deno|bun|mixed": {
    run: `npx foresight run --runtime mixed ${SMALL}`,
    check: matches(
      /^Foresight run — policy foresight, seed 1, scale 50: OK$/m,
      /^ {2}lower bound [\d.]+ s \(exact fluid LP\); makespan ÷ bound [\d.]+$/m,
      /hit ratio [\d.]+ %/,
      /^ {2}links: origin→cache /m,
      /^ {2}processes \(peak RSS\): origin\/deno [\d.]+ MiB exit 0, cache0\/bun .* client0\/node /m,
    ),
  },
  "foresight run --scale auto": { by: "tests/e2e/run_test.ts", grep: [/"--scale", "auto"\]/] },
  "foresight run --dashboard": {
    by: "tests/e2e/dashboard_test.ts",
    grep: [/spawn\(process\.execPath, \[cli, "run"/, /startRun\(\["--dashboard"/],
  },
  "foresight run --idle-ms": {
    by: "tests/e2e/run_lost_test.ts",
    grep: [/startRun\(\[/, /"--idle-ms"/],
  },
  // startCache runs the cache role (node dist/cache.js, what `foresight cache` runs) again.
  "foresight cache --index K": {
    by: "tests/e2e/faults_test.ts",
    grep: [/startCache\(c, \["--index", "0"\]\)/],
  },
  "foresight sim --bound": {
    run: "npx foresight sim --bound",
    check: matches(/^lower bound 2181\.76\d s /m, /^exact fluid LP/m),
  },

  // Performance: each benchmark at its smallest meaningful size.
  "npx foresight sim --compare": {
    run: "npx foresight sim --compare",
    check: (out) => assertCompareTable(out, readme),
  },
  // Real files live: served, kept, restarted (tests/e2e/dir_test.ts).
  "foresight run --dir PATH --demand FILE --out DIR": {
    by: "tests/e2e/dir_test.ts",
    grep: [
      /startRun\(\[/,
      /"--dir", tree\.root, "--demand", join\(base, "demand\.csv"\)/,
      /"--out",\s+join\(base, "out-mixed"\)/,
    ],
  },
  "foresight data --dir PATH": {
    by: "tests/e2e/dir_test.ts",
    grep: [/startRole\("origin", \["--dir", root,/],
  },
  "foresight client --out DIR --want FILE": {
    by: "tests/e2e/dir_test.ts",
    grep: [/startRole\("client", \[[^\]]*"--out", out, "--want", want\]\)/],
  },
  "npm run build && npx bun bench/real_files.ts [--runtime R] [--files N] [--requests N] [--scale S] [--gib G]":
    {
      run:
        "npm run build && npx bun bench/real_files.ts --files 100 --requests 20 --scale 100 --gib 0.05",
      check: matches(
        /^verified, dropped \(baseline\) +ok true +lost 0 /m,
        /^verified, kept with --out +ok true +lost 0 .*; 80 files compared, 0 wrong$/m,
        /^a 0\.05 GiB file to one client +ok true +lost 0 .*origin under 128 MiB: true$/m,
      ),
    },
  "foresight sim --dir PATH --demand FILE": {
    by: "tests/unit/sim/cli_test.ts",
    grep: [/const flags = \["--dir", tree, "--demand", demand,/, /await run\(flags\)/],
  },
  // The generator is seeded and the simulator deterministic: the README's figures exactly.
  [TREE_COMPARE]: {
    run: TREE_COMPARE,
    check: (out) => assertTreeTable(out, readme),
  },
  "npx bun bench/bound_scale.ts [--sizes canonical,8x32,16x64]": {
    run: "npx bun bench/bound_scale.ts --sizes canonical",
    check: matches(
      /^runtime: bun$/m,
      /^ canonical +2181\.76 +exact \(simplex\) +[\d.]+ +2181\.76 +exact \(simplex\) +[\d.]+ +2182\.02 +1\.0001$/m,
    ),
  },
  "npx deno run -A bench/bound_scale.ts": {
    run: "npx deno run -A bench/bound_scale.ts --sizes canonical",
    check: matches(/^runtime: deno$/m, /^ canonical +2181\.76 +exact \(simplex\) .* 1\.0001$/m),
  },
  "npx bun bench/sim_speed.ts [--against REV]": {
    run: "npx bun bench/sim_speed.ts --canonical-only --against HEAD --runs 1",
    check: matches(
      /^runtime: bun; against HEAD$/m,
      /^canonical: 2 caches, 4 clients/m,
      /^load average: [\d.]+ [\d.]+ [\d.]+$/m,
      /^foresight +2182\.0 .* +2182\.0 +[\d.]+ +[\d.]+$/m,
    ),
  },
  "npm run build && npx bun bench/fidelity.ts [--table] [--scale S|auto] [--sweep 20,40,60,80,120] [--runtime node,deno,bun,mixed] [--policy P] [scenario flags]":
    {
      run:
        `npm run build && npx bun bench/fidelity.ts --sweep 40,50 --policy foresight ${SCENARIO}`,
      check: matches(
        /^2×4, 300\/30, seed 1 +foresight +node +50 +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+ +true( +← outside ±1 %)?$/m,
        /^runtime +40 +50$/m,
        /^node +[\d.]+\*? +[\d.]+\*?$/m,
      ),
    },
  "npm run build && npx bun bench/tuning.ts [--runtime R] [--chunk-kib 16,64,256] [--slot-ms 0.5,2,5] [--reps N] [--no-relay] [scenario flags]":
    {
      run: "npm run build && npx bun bench/tuning.ts --chunk-kib 16,64 --slot-ms 0.5 --reps 1 " +
        `--no-relay ${SMALL}`,
      check: matches(
        /^tuning benchmark on node: 300 files, .* scale 50, /m,
        /^16 KiB, 0\.5 ms +[\d.]+ +[\d.]+–[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+$/m,
        /^64 KiB, 0\.5 ms +[\d.]+ +[\d.]+–[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+$/m,
      ),
    },
  // Needs root and iproute2 (CI has them): the small scenario, pacer- and kernel-shaped.
  "npm run build && npx bun bench/hosts.ts [--scale S] [--skew MS] [--modes M] [scenario flags]": {
    run: `npm run build && npx bun bench/hosts.ts --scale 20 ${SCENARIO}`,
    check: matches(
      /^simulator +— +[\d.]+ +[\d.]+ +1\.0000 +— +—$/m,
      /^pacer +same +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+ +true$/m,
      /^kernel \(tc HTB\) +same +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+ +true$/m,
    ),
  },
  "npx foresight run --policy seed --trace-inputs /tmp/foresight-traces [scenario flags] && npx bun bench/trace_diff.ts /tmp/foresight-traces":
    {
      // One shell line, as the README has it (each role's trace file is written anew).
      run: `npx foresight run --policy seed ${SMALL} --trace-inputs ${TRACES} > /dev/null && ` +
        `npx bun bench/trace_diff.ts ${TRACES}`,
      check: matches(
        /^2 caches × 4 clients, 300 files \/ 30 requests, seed 1, policy seed, scale 50$/m,
        /^client 3: sim ends [\d.]+ s, live [\d.]+ s \([\d.]+\); \d+ of 30 files answered otherwise$/m,
        /^cache 1: sim \d+ misses, live \d+; /m,
      ),
    },
  // --bytes 1: one file (3–5 MiB) through each relay.
  "node bench/relay.mjs": {
    run: "node bench/relay.mjs --runtime node --bytes 1 --reps 1",
    // The ratio, then CPU s per GiB of source/relay/sink, bare and foresight.
    check: matches(/^node +\d+ +\d+ +[\d.]+ .* [\d.]+\/[\d.]+\/[\d.]+ +[\d.]+\/[\d.]+\/[\d.]+$/m),
  },
  "npx bun bench/relay.ts": {
    run: "npx bun bench/relay.ts --bytes 1 --reps 1",
    check: matches(/^node +\d+ +\d+ +[\d.]+ /m, /^deno +\d+ +\d+ +[\d.]+ /m, /^bun +\d+ +\d+ /m),
  },
  "npm run build && npx bun bench/memory.ts --runtime node,deno,bun,mixed [--scale S]": {
    run: `npm run build && npx bun bench/memory.ts --runtime mixed ${SMALL} --idle-s 1`,
    check: matches(/^mixed: ok, /m, /^mixed +[\d.]+ \(\+?-?[\d.]+\) .* ok$/m),
  },
  // bench/faults.ts takes no smaller scenario; one run of its quickest fault per policy.
  "node scripts/build.mjs && npx bun bench/faults.ts --runs 3": {
    run:
      "node scripts/build.mjs && npx bun bench/faults.ts --runs 1 --only 'garbage on every port'",
    check: matches(
      /^\| garbage on every port \(running\) +\| — +\| 0 \/ 0 +\| 1 of 1 +\| 0 \/ 0 +\| 1 of 1 +\|$/m,
    ),
  },
  "npx bun bench/fuzz.ts": { run: `npx bun bench/fuzz.ts ${FUZZ}`, check: fuzzed("bun") },
  "node bench/run.mjs fuzz": { run: `node bench/run.mjs fuzz ${FUZZ}`, check: fuzzed("node") },
  "npx deno run -A bench/fuzz.ts": {
    run: `npx deno run -A bench/fuzz.ts ${FUZZ}`,
    check: fuzzed("deno"),
  },

  // Publishing and tests: what `npm test` (scripts/test.sh, run by .ci/run) runs, with
  // node_modules/.bin/deno and bun — the binaries `npx deno` and `npx bun` run.
  "npx deno publish --dry-run": testSh(/"\$bin\/deno" publish --dry-run/),
  "deno publish --dry-run": testSh(/"\$bin\/deno" publish --dry-run/),
  "deno lint": testSh(/"\$bin\/deno" lint/),
  "deno fmt --check": testSh(/"\$bin\/deno" fmt --check/),
  "node --test": testSh(/^node --test /m),
  "deno test": testSh(/"\$bin\/deno" test /),
  "bun test": testSh(/"\$bin\/bun" test /),
};

/**
 * The flags the README's "Flags" section says `foresight <command>` takes: the
 * scenario flags for run and sim, and what each adds.
 */
function readmeFlags(command: string): string[] {
  const para = /The scenario flags are shared by[\s\S]*?\n\n/.exec(readme)?.[0] ?? "";
  const [scenario = "", run = "", sim = ""] = para.split(/`run` adds|`sim` adds/);
  const flags = (text: string) => [...text.matchAll(/`--([a-z-]+)/g)].map((m) => m[1]!);
  assert.ok(flags(scenario).length >= 10 && flags(run).length >= 10 && flags(sim).length >= 3);
  if (command === "run") return [...flags(scenario), ...flags(run)];
  if (command === "sim") return [...flags(scenario), ...flags(sim)];
  return [];
}

/** The last stdout line is an ok JSON report of the small scenario, every role on `runtime`. */
function assertReport(out: string, runtime: string): void {
  const r = JSON.parse(out.trim().split("\n").at(-1)!) as RunReport;
  assert.equal(r.ok, true);
  assert.equal(r.scenario.files, 300);
  assert.ok(r.lowerBound && r.lowerBound.seconds > 0, "the report carries the lower bound");
  assert.deepEqual([...new Set(r.processes.map((p) => p.runtime))], [runtime]);
}

/** `sim --compare` prints every figure of the README's table of it (the simulator is deterministic). */
function assertCompareTable(out: string, markdown: string): void {
  const from = markdown.indexOf("`npx foresight sim --compare`");
  const rows = markdown.slice(from).split("\n\n").find((p) => p.startsWith("|"));
  assert.ok(rows, "the README's table of sim --compare");
  let checked = 0;
  for (const line of rows.split("\n").slice(2)) {
    const [policy, ...cells] = line.split("|").slice(1, -1).map((c) => c.trim());
    for (const [i, figure] of cells.slice(0, 5).entries()) {
      const row = policy === "lower bound"
        ? new RegExp(`^\\w+ +${i + 1} +[\\d.]+ +${figure} `, "m")
        : new RegExp(`^${policy} +${i + 1} +${figure} `, "m");
      assert.match(out, row, `README: ${policy}, seed ${i + 1}: ${figure}`);
      checked++;
    }
  }
  assert.equal(checked, 6 * 5, "6 rows of 5 seeds");
}

/** The folder comparison prints the README's table of it, and foresight is within 1.02 × the bound. */
function assertTreeTable(out: string, markdown: string): void {
  const from = markdown.indexOf("**On a folder of real sizes**");
  const rows = markdown.slice(from).split("\n\n").find((p) => p.startsWith("|"));
  assert.ok(from >= 0 && rows, "the README's table of the folder comparison");
  assert.match(out, /^2000 files under .*: 986\.9 MiB \(sparse\), 83 empty, largest 8\.0 MiB$/m);
  let checked = 0;
  for (const line of rows.split("\n").slice(2)) {
    const [policy, makespan, ratio, hits] = line.split("|").slice(1, -1).map((c) => c.trim());
    const row = policy === "lower bound"
      ? new RegExp(`^foresight +1 +[\\d.]+ +${makespan} `, "m")
      : new RegExp(`^${policy} +1 +${makespan} +[\\d.]+ +${ratio} +${hits}`, "m");
    assert.match(out, row, `README: ${policy}`);
    checked++;
  }
  assert.equal(checked, 6);
  const foresight = /^foresight +1 +[\d.]+ +[\d.]+ +([\d.]+) /m.exec(out);
  assert.ok(foresight && Number(foresight[1]) <= 1.02, `foresight × bound: ${foresight?.[1]}`);
}
