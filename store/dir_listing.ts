/**
 * Lists a folder for `DirStore`: every regular file under it, named by its
 * `/`-separated path from the root, with what identifies the listed version
 * (size, modification time, device and inode); and every entry it refuses,
 * each with its error for the caller to log.
 *
 * @module
 */

import { readdir, realpath, stat } from "node:fs/promises";
import { isAbsolute, join, relative, sep } from "node:path";
import { ForesightError } from "../errors.ts";
import { fileNameProblem } from "../core/files/file_name.ts";

/** A regular file found under the root, as it was when listed. */
export interface DiskFile {
  /** Path from the root, `/`-separated. */
  readonly name: string;
  /** Where to open it: its own path, or a link's target (inside the root). */
  readonly path: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly dev: number;
  readonly ino: number;
}

/** An entry under the root that is not served, and why. */
export interface Refusal {
  /** Its path from the root, `/`-separated. */
  readonly name: string;
  /** PATH_REFUSED: "Cannot serve "name": why". */
  readonly error: ForesightError;
}

/** What {@link listDir} found. */
export interface DirListing {
  /** The root with every link resolved. */
  readonly root: string;
  /** Every regular file, sorted by name (JavaScript string order). */
  readonly files: readonly DiskFile[];
  /** Entries not served, sorted by name. */
  readonly refused: readonly Refusal[];
}

/** True when `path` is strictly inside `root` (both resolved). */
export function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== "" && rel !== ".." && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

function refusal(name: string, why: string, cause?: unknown): Refusal {
  const message = `Cannot serve ${JSON.stringify(name)}: ${why}`;
  return { name, error: new ForesightError("PATH_REFUSED", message, { cause }) };
}

/**
 * Lists every regular file under `root`. Subfolders are walked; a link is
 * followed when it leads to a regular file inside the root (served under the
 * link's name) and refused when it leads out of the root, to a folder (never
 * walked, so no cycles) or nowhere. Special files (sockets, pipes, devices)
 * and names that cannot travel (see `fileNameProblem`; a name that is not
 * valid UTF-8 on disk) are refused.
 *
 * @throws {ForesightError} CONFIG when `root` is missing or not a folder
 *
 * @example
 * ```ts
 * const { files, refused } = await listDir("./data");
 * for (const r of refused) console.warn(r.error.message);
 * ```
 */
export async function listDir(root: string): Promise<DirListing> {
  let real: string;
  try {
    real = await realpath(root);
    if (!(await stat(real)).isDirectory()) throw new Error("it is not a folder");
  } catch (error) {
    const why = (error as { code?: string }).code === "ENOENT"
      ? "it does not exist"
      : (error as Error).message;
    throw new ForesightError("CONFIG", `Cannot serve folder ${root}: ${why}`, { cause: error });
  }
  const files: DiskFile[] = [];
  const refused: Refusal[] = [];
  await walk(real, "", files, refused);
  const byName = (a: { name: string }, b: { name: string }) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  return { root: real, files: files.sort(byName), refused: refused.sort(byName) };
}

async function walk(root: string, dir: string, files: DiskFile[], refused: Refusal[]) {
  let entries;
  try {
    entries = await readdir(join(root, dir), { withFileTypes: true });
  } catch (error) {
    const why = `cannot read the folder: ${(error as Error).message}`;
    if (dir === "") {
      throw new ForesightError("CONFIG", `Cannot serve folder ${root}: ${why}`, { cause: error });
    }
    return void refused.push(refusal(dir, why, error));
  }
  const folders: string[] = [];
  await Promise.all(entries.map(async (entry) => {
    const name = dir === "" ? entry.name : `${dir}/${entry.name}`;
    const problem = entry.name.includes("\uFFFD")
      ? "its name is not valid UTF-8 on disk"
      : fileNameProblem(name);
    if (problem !== undefined) refused.push(refusal(name, problem));
    else if (entry.isDirectory()) folders.push(name);
    else if (!entry.isFile() && !entry.isSymbolicLink()) {
      refused.push(refusal(name, "it is not a regular file"));
    } else {
      const found = await examine(root, name, entry.isSymbolicLink());
      if ("error" in found) refused.push(found);
      else files.push(found);
    }
  }));
  for (const folder of folders.sort()) await walk(root, folder, files, refused);
}

/** A regular file's or a link's listed version, or why it is refused. */
async function examine(root: string, name: string, link: boolean): Promise<DiskFile | Refusal> {
  let path = join(root, name);
  try {
    if (link) {
      path = await realpath(path);
      if (!isInside(root, path)) return refusal(name, "it is a link that leads out of the root");
    }
    const st = await stat(path);
    if (st.isDirectory()) return refusal(name, "it is a link to a folder (not followed)");
    if (!st.isFile()) return refusal(name, "it links to no regular file");
    return { name, path, size: st.size, mtimeMs: st.mtimeMs, dev: st.dev, ino: st.ino };
  } catch (error) {
    const gone = (error as { code?: string }).code === "ENOENT";
    const why = !gone
      ? (error as Error).message
      : link
      ? "it is a link that leads nowhere"
      : "it vanished while listing";
    return refusal(name, why, error);
  }
}
