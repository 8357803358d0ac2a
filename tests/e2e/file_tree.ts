/**
 * A generated folder of real files for the `--dir` / `--out` tests: nested
 * folders, spaces, non-ASCII names, a 0-byte file, a few MiB-sized files,
 * a link inside the root (served under its name) and one leading out of it
 * (refused). Bytes are seeded, so every tree of a seed is the same.
 *
 * @module
 */

import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { rng } from "../../core/run/scenario.ts";

/** The names (relative, `/`-separated) and sizes of a generated tree. */
export interface FileTree {
  /** The folder. */
  readonly root: string;
  /** A file outside the root, which the link `escape` points at. */
  readonly outside: string;
}

function bytes(n: number, next: () => number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i += 4) {
    const x = (next() * 4_294_967_296) >>> 0;
    b[i] = x & 255;
    if (i + 1 < n) b[i + 1] = (x >>> 8) & 255;
    if (i + 2 < n) b[i + 2] = (x >>> 16) & 255;
    if (i + 3 < n) b[i + 3] = x >>> 24;
  }
  return b;
}

/**
 * Writes the tree under a fresh temporary folder: `small` files of 1..64 KiB,
 * plus the odd ones (see the module doc), `mib` files of 1–3 MiB.
 */
export function makeFileTree(seed = 1, small = 30, mib = 2): FileTree {
  const base = mkdtempSync(join(tmpdir(), "foresight-tree-"));
  const root = join(base, "root");
  const next = rng(seed);
  const put = (name: string, size: number) => {
    const path = join(root, ...name.split("/"));
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, bytes(size, next));
  };
  for (let i = 0; i < small; i++) {
    put(`small/s${String(i).padStart(2, "0")}.bin`, 1024 + Math.floor(next() * 64 * 1024));
  }
  for (let i = 0; i < mib; i++) put(`big/m${i}.bin`, 1_048_576 * (1 + i) + 12_345);
  put("a/b/c/deep.bin", 100_000);
  put("with space/file one.txt", 5_000);
  put("ünïcødé/日本語 ✓.dat", 7_777);
  put("empty.bin", 0);
  const outside = join(base, "secret.txt");
  writeFileSync(outside, "not to be served");
  symlinkSync(outside, join(root, "escape"));
  symlinkSync(join(root, "small", "s01.bin"), join(root, "inside-link"));
  return { root, outside };
}

/** Every file under `dir` (dotfiles too, links as files), `/`-separated, sorted. */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(relative(dir, p).split("\\").join("/"));
    }
  };
  walk(dir);
  return out.sort();
}

/** SHA-256 of a file on disk, hex. */
export function sha256Of(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}
