/**
 * A folder on disk as a {@link FileStore}: every regular file under a root,
 * read by positioned reads as it is sent, checked against its listed version.
 * Uses `node:fs/promises` (Node, Deno and Bun all provide it).
 *
 * @module
 */

import { type FileHandle, open, stat } from "node:fs/promises";
import { ForesightError } from "../errors.ts";
import { checkFileName } from "../core/files/file_name.ts";
import type { FileStore, StoredFile } from "../core/files/file_store.ts";
import { hashParts, keptDigest, type Sha256 } from "../core/files/sha256.ts";
import { type DiskFile, listDir, type Refusal } from "./dir_listing.ts";
import { nodeSha256 } from "./node_sha256.ts";

export type { Refusal } from "./dir_listing.ts";

/** Part size `read` yields by default: 256 KiB. */
export const DEFAULT_PART_BYTES = 262_144;
/** The largest part size a {@link DirStore} accepts: 16 MiB. */
export const MAX_PART_BYTES = 16_777_216;

/** Options of {@link DirStore.open}. */
export interface DirStoreOptions {
  /** Largest part `read` yields, 1..{@link MAX_PART_BYTES} (default {@link DEFAULT_PART_BYTES}). */
  partBytes?: number;
  /** Makes the hash for `digest` (default {@link nodeSha256}: streaming, the faster by `bench/hash.ts`). */
  sha256?: () => Sha256;
}

type Version = { size: number; mtimeMs: number; dev: number; ino: number };

/**
 * Every regular file under a folder, ids 1..n in name order. Reads open the
 * file, compare it with its listed version (size, modification time, device
 * and inode: a file rewritten, replaced or swapped for a link is caught), read
 * parts with positioned reads into fresh buffers, compare again before the
 * last part, and close it. Links out of the root, to folders or nowhere,
 * special files and untravellable names are in {@link DirStore.refused}.
 *
 * @example
 * ```ts
 * const store = await DirStore.open("./data");
 * for (const r of store.refused) log.warn(r.error.message);
 * const [first] = store.list();
 * if (first) for await (const part of store.read(first.id, 0, first.size)) await send(part);
 * ```
 */
export class DirStore implements FileStore {
  /** The root, links resolved. */
  readonly root: string;
  /** Entries under the root that are not served, each with its PATH_REFUSED error to log. */
  readonly refused: readonly Refusal[];
  readonly #disk: readonly DiskFile[];
  readonly #list: readonly StoredFile[];
  readonly #byName: Map<string, StoredFile>;
  readonly #partBytes: number;
  readonly #sha256: () => Sha256;
  readonly #digests = new Map<number, Promise<string>>();

  private constructor(
    root: string,
    disk: readonly DiskFile[],
    refused: readonly Refusal[],
    options: DirStoreOptions,
  ) {
    this.root = root;
    this.refused = refused;
    this.#disk = disk;
    this.#list = disk.map((f, i): StoredFile => ({
      id: i + 1,
      name: f.name,
      size: f.size,
      mtimeMs: f.mtimeMs,
    }));
    this.#byName = new Map(this.#list.map((f) => [f.name, f]));
    this.#partBytes = options.partBytes ?? DEFAULT_PART_BYTES;
    this.#sha256 = options.sha256 ?? nodeSha256;
  }

  /**
   * Lists `root` (see `listDir`) and returns the store over it.
   *
   * @throws {ForesightError} CONFIG when root is missing or not a folder, or partBytes is out of range
   */
  static async open(root: string, options: DirStoreOptions = {}): Promise<DirStore> {
    const part = options.partBytes ?? DEFAULT_PART_BYTES;
    if (!Number.isSafeInteger(part) || part < 1 || part > MAX_PART_BYTES) {
      throw new ForesightError(
        "CONFIG",
        `Cannot serve folder ${root}: part size ${part} is not in 1..${MAX_PART_BYTES}`,
      );
    }
    const listing = await listDir(root);
    return new DirStore(listing.root, listing.files, listing.refused, options);
  }

  /** Every file, in id (name) order. */
  list(): readonly StoredFile[] {
    return this.#list;
  }

  /** Bytes of file `id`, as listed. */
  size(id: number): number {
    return this.#file(id).size;
  }

  /**
   * The listed file named `name`, or `undefined` when there is none.
   *
   * @throws {ForesightError} PATH_REFUSED when the name is absolute, has `..` or was refused
   */
  find(name: string): StoredFile | undefined {
    checkFileName(name);
    const refusal = this.refused.find((r) => r.name === name);
    if (refusal !== undefined) throw refusal.error;
    return this.#byName.get(name);
  }

  /** `length` bytes of file `id` from `offset`, read from disk part by part. */
  read(id: number, offset: number, length: number): AsyncGenerator<Uint8Array> {
    return this.#parts(id, offset, length, false);
  }

  /** As {@link DirStore.read}, in one buffer refilled part by part (each part valid until the next is asked for). */
  readShared(id: number, offset: number, length: number): AsyncGenerator<Uint8Array> {
    return this.#parts(id, offset, length, true);
  }

  /**
   * SHA-256 of file `id` in hex, hashed from disk at the first call and kept.
   * The hash takes each part before the next is read, so one buffer serves
   * them all (no garbage per part: a 1 GiB file hashes in the memory of one).
   */
  digest(id: number): Promise<string> {
    return keptDigest(
      this.#digests,
      id,
      () => hashParts(this.#parts(id, 0, this.size(id), true), this.#sha256),
    );
  }

  /** The parts of a range; `reuse`: every part is the same buffer, refilled (the caller copies or uses each at once). */
  async *#parts(
    id: number,
    offset: number,
    length: number,
    reuse: boolean,
  ): AsyncGenerator<Uint8Array> {
    const file = this.#file(id);
    if (
      !(Number.isSafeInteger(offset) && Number.isSafeInteger(length) && offset >= 0 &&
        length >= 0 && offset + length <= file.size)
    ) {
      throw new ForesightError(
        "INTERNAL",
        `Cannot read ${
          JSON.stringify(file.name)
        }: range ${offset}+${length} is outside its ${file.size} bytes`,
      );
    }
    const disk = this.#disk[id - 1]!;
    const handle = await this.#open(disk);
    try {
      this.#same(disk, await handle.stat());
      const end = offset + length;
      const shared = reuse ? new Uint8Array(Math.min(this.#partBytes, length)) : undefined;
      for (let at = offset; at < end;) {
        const n = Math.min(this.#partBytes, end - at);
        const part = shared ? shared.subarray(0, n) : new Uint8Array(n);
        await readFully(handle, part, at, disk);
        at += part.length;
        if (at === end) this.#same(disk, await handle.stat());
        yield part;
      }
    } finally {
      await handle.close();
    }
  }

  /** Resolves when file `id` on disk is still its listed version. */
  async check(id: number): Promise<void> {
    this.#file(id);
    const disk = this.#disk[id - 1]!;
    let now: Version;
    try {
      now = await stat(disk.path);
    } catch (error) {
      throw gone(disk, error);
    }
    this.#same(disk, now);
  }

  #file(id: number): StoredFile {
    const file = this.#list[id - 1];
    if (file === undefined || file.id !== id) {
      throw new ForesightError(
        "INTERNAL",
        `Cannot find file ${id} in ${this.root}: the store has files 1..${this.#list.length}`,
      );
    }
    return file;
  }

  async #open(disk: DiskFile): Promise<FileHandle> {
    try {
      return await open(disk.path, "r");
    } catch (error) {
      throw gone(disk, error);
    }
  }

  /** @throws {ForesightError} FILE_CHANGED saying what differs from the listing */
  #same(disk: DiskFile, now: Version): void {
    const diffs: string[] = [];
    if (now.size !== disk.size) diffs.push(`size ${disk.size} → ${now.size} bytes`);
    if (now.mtimeMs !== disk.mtimeMs) {
      diffs.push(`modified ${isoTime(disk.mtimeMs)} → ${isoTime(now.mtimeMs)}`);
    }
    if (disk.ino !== 0 && (now.ino !== disk.ino || now.dev !== disk.dev)) {
      diffs.push("replaced by another file");
    }
    if (diffs.length > 0) {
      throw new ForesightError(
        "FILE_CHANGED",
        `Cannot serve ${JSON.stringify(disk.name)}: it changed on disk after it was listed (${
          diffs.join(", ")
        })`,
      );
    }
  }
}

/** Fills `part` from `position`, however many reads it takes. */
async function readFully(
  handle: FileHandle,
  part: Uint8Array,
  position: number,
  disk: DiskFile,
): Promise<void> {
  for (let got = 0; got < part.length;) {
    const { bytesRead } = await handle.read(part, got, part.length - got, position + got);
    if (bytesRead === 0) {
      throw new ForesightError(
        "FILE_CHANGED",
        `Cannot serve ${JSON.stringify(disk.name)}: it ends at ${
          position + got
        } bytes, not the ${disk.size} listed`,
      );
    }
    got += bytesRead;
  }
}

function gone(disk: DiskFile, error: unknown): ForesightError {
  const name = JSON.stringify(disk.name);
  if ((error as { code?: string }).code === "ENOENT") {
    return new ForesightError(
      "FILE_CHANGED",
      `Cannot serve ${name}: it was removed after it was listed`,
      {
        cause: error,
      },
    );
  }
  return new ForesightError("PATH_REFUSED", `Cannot serve ${name}: ${(error as Error).message}`, {
    cause: error,
  });
}

function isoTime(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : String(ms);
}
