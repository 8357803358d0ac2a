/**
 * Real files end to end at full size: a generated folder (bench/make_tree.ts:
 * 2,000 files, heavy-tailed 0 B–8 MiB, nested folders, odd names) and its
 * demand (4 clients × 500 files) run live with `--dir --demand --out`, each
 * client's folder then compared with the source by SHA-256; beside it, in
 * the same run, the same workload without `--out` (verified and dropped) as
 * the baseline. Then a folder holding a 1 GiB file, served to one client:
 * the origin's peak RSS must stay under 128 MiB.
 *
 *   npm run build && npx bun bench/real_files.ts [--runtime node|deno|bun|mixed]
 *     [--files 2000] [--requests 500] [--scale 20] [--gib 1] [--keep DIR]
 *
 * Prints, per run: roles lost, hit ratio, wall and simulated seconds, MiB
 * moved, the origin's hashing time (its `files hashed` log), each role's
 * peak RSS, and files compared / wrong. Exits 1 when a run is not ok, a role
 * was lost, a file is wrong or missing, or the origin's peak RSS reaches 128 MiB.
 *
 * @module
 */

import process from "node:process";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  closeSync,
  ftruncateSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { CANONICAL, type Scenario } from "../core/run/scenario.ts";
import { parseDemand } from "../core/demand/demand.ts";
import { packageRoot, runScenario } from "../roles/run.ts";
import { DirStore } from "../store/dir_store.ts";
import type { RunReport } from "../report/run_report.ts";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    runtime: { type: "string", default: "node" },
    files: { type: "string", default: "2000" },
    requests: { type: "string", default: "500" },
    scale: { type: "string", default: "20" },
    gib: { type: "string", default: "1" },
    keep: { type: "string" },
  },
});
const root = packageRoot();
const base = values.keep ?? mkdtempSync(join(tmpdir(), "foresight-real-"));
const MiB = 1_048_576;
let failed = false;

/** Runs `dir` with `demand` live; returns the report and the origin's hashing line. */
async function run(dir: string, demand: string, out: string | undefined, scale: number) {
  const store = await DirStore.open(dir);
  const lists = parseDemand(readFileSync(demand, "utf8"), demand, store);
  const scenario: Scenario = {
    ...CANONICAL,
    files: store.list().length,
    clients: lists.length,
    requests: Math.max(...lists.map((l) => l.length)),
    capacityKiB: Math.max(CANONICAL.capacityKiB, 8 * 1024 + 1),
    scale,
  };
  let hashed: Record<string, unknown> | undefined;
  const t0 = performance.now();
  const report = await runScenario(scenario, {
    runtime: values.runtime!,
    host: "127.0.0.1",
    logLevel: "info",
    logFormat: "json",
    timeoutS: 1800,
    dir,
    out,
    want: demand,
    writeLog: (text) => {
      for (const line of text.split("\n")) {
        if (line.includes('"files hashed"')) hashed = JSON.parse(line);
      }
    },
  });
  return { report, hashed, lists, store, wall: (performance.now() - t0) / 1000 };
}

/** Counts the files of each client's list that are missing or differ from the source. */
function compare(
  out: string,
  store: DirStore,
  lists: number[][],
): { files: number; wrong: number } {
  const digest = (p: string) => createHash("sha256").update(readFileSync(p)).digest("hex");
  let files = 0;
  let wrong = 0;
  lists.forEach((list, c) => {
    for (const id of list) {
      const name = store.list()[id - 1]!.name;
      files++;
      try {
        if (
          digest(join(out, `client-${c}`, ...name.split("/"))) !== digest(join(store.root, name))
        ) wrong++;
      } catch {
        wrong++;
      }
    }
  });
  return { files, wrong };
}

function line(
  what: string,
  r: RunReport,
  wall: number,
  hashed: Record<string, unknown> | undefined,
  extra = "",
) {
  const moved = (r.links.originToCache + r.links.originToClient + r.links.cacheToClient) / MiB;
  const lost = r.processes.filter((p) => p.lost).length;
  const rss = (role: string) =>
    r.processes.filter((p) => p.role === role).map((p) => Math.round(p.peakRssBytes / MiB)).join(
      "/",
    );
  process.stdout.write(
    `${what.padEnd(34)} ok ${String(r.ok).padEnd(5)} lost ${lost}  hit ratio ${
      (r.hitRatio * 100).toFixed(1)
    } %  wall ${wall.toFixed(1).padStart(6)} s  sim ${
      r.simSeconds.toFixed(1).padStart(7)
    } s  moved ${moved.toFixed(0).padStart(6)} MiB  hashed ${hashed?.mib ?? "?"} MiB in ${
      hashed?.seconds ?? "?"
    } s  peak RSS MiB: origin ${rss("origin")}, caches ${rss("cache")}, clients ${
      rss("client")
    }${extra}\n`,
  );
  if (!r.ok || lost > 0) failed = true;
}

const scale = Number(values.scale);
const tree = join(base, "tree");
mkdirSync(base, { recursive: true });
if (values.keep === undefined || spawnSync("test", ["-d", join(tree, "files")]).status !== 0) {
  const made = spawnSync(join(root, "node_modules", ".bin", "bun"), [
    join(root, "bench", "make_tree.ts"),
    ...["--out", tree, "--files", values.files!, "--requests", values.requests!],
  ], { stdio: ["ignore", "inherit", "inherit"] });
  if (made.status !== 0) throw new Error("bench/make_tree.ts failed");
}
process.stdout.write(`runtime ${values.runtime}, scale ${scale}; figures from one run each\n`);
const files = join(tree, "files");
const demand = join(tree, "demand.csv");

// Every file read once first, so neither run pays for a cold page cache.
for (const f of (await DirStore.open(files)).list()) {
  readFileSync(join(files, ...f.name.split("/")));
}
const bare = await run(files, demand, undefined, scale);
line("verified, dropped (baseline)", bare.report, bare.wall, bare.hashed);
const out = join(base, "out");
rmSync(out, { recursive: true, force: true });
const kept = await run(files, demand, out, scale);
const cmp = compare(out, kept.store, kept.lists);
if (cmp.wrong > 0) failed = true;
line(
  "verified, kept with --out",
  kept.report,
  kept.wall,
  kept.hashed,
  `; ${cmp.files} files compared, ${cmp.wrong} wrong`,
);
process.stdout.write(
  `  --out costs ${(kept.wall / bare.wall).toFixed(2)} × the baseline's wall time\n`,
);
rmSync(out, { recursive: true, force: true });

// A 1 GiB file (a hole: zeros read from disk all the same) and a small one, for one client.
const huge = join(base, "huge");
mkdirSync(join(huge, "files"), { recursive: true });
const fd = openSync(join(huge, "files", "huge.bin"), "w");
ftruncateSync(fd, Math.round(Number(values.gib) * 1024 * MiB));
closeSync(fd);
writeFileSync(join(huge, "files", "small.txt"), "small");
writeFileSync(join(huge, "demand.csv"), "client,file\n0,huge.bin\n0,small.txt\n");
const big = await run(
  join(huge, "files"),
  join(huge, "demand.csv"),
  undefined,
  Math.max(scale, 200),
);
const originRss = big.report.processes.find((p) => p.role === "origin")!.peakRssBytes / MiB;
if (originRss >= 128) failed = true;
line(
  `a ${values.gib} GiB file to one client`,
  big.report,
  big.wall,
  big.hashed,
  `; origin under 128 MiB: ${originRss < 128}`,
);
rmSync(huge, { recursive: true, force: true });
if (values.keep === undefined) rmSync(base, { recursive: true, force: true });
process.exit(failed ? 1 : 0);
