/**
 * Makes a folder of files and a demand file for it, to try `--dir` and
 * `--demand` on something like real data: heavy-tailed sizes from 0 B to the
 * largest (a few empty files, one of exactly the largest size, the rest
 * log-uniform), nested folders, names with spaces, commas, quotes and
 * non-ASCII letters; and a CSV demand of `--requests` distinct files per
 * client, named by path. Deterministic for a seed.
 *
 *   npx bun bench/make_tree.ts --out DIR [--files 2000] [--clients 4] [--requests 500]
 *     [--max-mib 8] [--seed 1] [--sparse]
 *
 * writes DIR/files/… and DIR/demand.csv, then prints a summary. `--sparse`
 * makes every file a hole of its size (no disk used, the bytes all zero):
 * enough for `foresight sim`, which reads sizes only.
 *
 * @module
 */

import process from "node:process";
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from "node:fs";
import { ftruncateSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { requestList, rng } from "../core/run/scenario.ts";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    out: { type: "string" },
    files: { type: "string", default: "2000" },
    clients: { type: "string", default: "4" },
    requests: { type: "string", default: "500" },
    "max-mib": { type: "string", default: "8" },
    seed: { type: "string", default: "1" },
    sparse: { type: "boolean", default: false },
  },
});
if (!values.out) {
  process.stderr.write("make_tree: give the folder to write with --out DIR\n");
  process.exit(2);
}
const files = Number(values.files);
const clients = Number(values.clients);
const requests = Math.min(files, Number(values.requests));
const maxBytes = Math.round(Number(values["max-mib"]) * 1_048_576);
const seed = Number(values.seed);

const FOLDERS = ["", "data", "images/2024", "été/photos", "logs/a b", "x,y", "deep/er/still/down"];
const STEMS = ["file", "my file", 'say "hi"', "comma, name", "日本語", "-dash", "ünïcödé", "part"];
const EXTS = [".bin", ".txt", ".jpg", "", ".tar.gz"];

/** File i's name and size. */
function plan(): { name: string; size: number }[] {
  const next = rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]!;
  return Array.from({ length: files }, (_, i) => {
    const folder = pick(FOLDERS);
    const name = `${folder ? folder + "/" : ""}${pick(STEMS)} ${String(i).padStart(5, "0")}${
      pick(EXTS)
    }`;
    const r = next();
    const size = i === 0
      ? maxBytes
      : r < 0.04
      ? 0
      : Math.floor(Math.exp(next() * Math.log(maxBytes)));
    return { name, size };
  });
}

/** A CSV field, quoted when it holds a comma, a quote or spaces at its ends. */
function csvField(text: string): string {
  return /[",\r\n]/.test(text) || text.trim() !== text ? `"${text.replaceAll('"', '""')}"` : text;
}

const pool = new Uint8Array(1_048_576 + 65_536);
const poolRng = rng(seed ^ 0x5eed);
for (let i = 0; i < pool.length; i++) pool[i] = Math.floor(poolRng() * 256);

/** Writes `size` bytes of the pool (from a start of its own) or a hole of that size. */
function writeFile(path: string, size: number, start: number): void {
  const fd = openSync(path, "w");
  try {
    if (values.sparse) ftruncateSync(fd, size);
    else {
      for (let at = 0; at < size; at += 1_048_576) {
        const n = Math.min(1_048_576, size - at);
        writeSync(fd, pool, start % 65_536, n);
      }
    }
  } finally {
    closeSync(fd);
  }
}

const root = join(values.out, "files");
rmSync(root, { recursive: true, force: true });
const tree = plan();
for (const [i, f] of tree.entries()) {
  const path = join(root, f.name);
  mkdirSync(dirname(path), { recursive: true });
  writeFile(path, f.size, i * 7_919);
}
const lines = ["client,file"];
for (let c = 0; c < clients; c++) {
  for (const id of requestList(seed, c, files, requests)) {
    lines.push(`${c},${csvField(tree[id - 1]!.name)}`);
  }
}
const demand = join(values.out, "demand.csv");
const fd = openSync(demand, "w");
writeSync(fd, lines.join("\n") + "\n");
closeSync(fd);

const total = tree.reduce((a, f) => a + f.size, 0);
const empty = tree.filter((f) => f.size === 0).length;
process.stdout.write(
  `${files} files under ${root}: ${(total / 1_048_576).toFixed(1)} MiB${
    values.sparse ? " (sparse)" : ""
  }, ${empty} empty, largest ${(maxBytes / 1_048_576).toFixed(1)} MiB\n` +
    `${demand}: ${clients} clients × ${requests} files\n`,
);
