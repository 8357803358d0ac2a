/**
 * A folder as a {@link FileSink}: each verified file under its name
 * (subfolders created), written through a temporary name beside it and
 * renamed once verified, so a partial or wrong copy never appears under
 * the real name. Uses `node:fs/promises` (Node, Deno and Bun).
 *
 * @module
 */

import { type FileHandle, mkdir, open, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import type { FileSink, SinkWriter } from "../core/files/file_sink.ts";
import type { StoredFile } from "../core/files/file_store.ts";
import { checkFileName } from "../core/files/file_name.ts";
import { ForesightError } from "../errors.ts";
import { isInside } from "./dir_listing.ts";

/** Parts {@link DirSink.existing} reads: 256 KiB. */
const PART_BYTES = 262_144;

/**
 * Verified files under `root`. The temporary name of `a/b.bin` is
 * `a/.b.bin.foresight-part` (one per file, so a restarted client overwrites
 * its predecessor's leftover).
 *
 * @example
 * ```ts
 * const sink = new DirSink("./out/client-0");
 * const w = await sink.open({ id: 1, name: "a/b.bin", size: 3, mtimeMs: undefined });
 * await w.write(new Uint8Array([1, 2, 3]));
 * await w.commit(); // ./out/client-0/a/b.bin
 * ```
 */
export class DirSink implements FileSink {
  /** The folder, resolved. */
  readonly root: string;

  /** @param root the folder (created at the first file) */
  constructor(root: string) {
    this.root = resolve(root);
  }

  /**
   * Where `file` goes.
   *
   * @throws {ForesightError} PATH_REFUSED when its name would leave the folder
   */
  path(file: StoredFile): string {
    checkFileName(file.name);
    const path = join(this.root, ...file.name.split("/"));
    if (!isInside(this.root, path)) {
      throw new ForesightError(
        "PATH_REFUSED",
        `Cannot write ${JSON.stringify(file.name)}: it would leave ${this.root}`,
      );
    }
    return path;
  }

  /** Opens `file`'s temporary copy (truncating any leftover). */
  async open(file: StoredFile): Promise<SinkWriter> {
    const path = this.path(file);
    const temp = join(dirname(path), `.${basename(path)}.foresight-part`);
    await mkdir(dirname(path), { recursive: true });
    const handle = await open(temp, "w");
    return new TempWriter(handle, temp, path);
  }

  /** The bytes of `file` already under its name with its size, or `undefined`. */
  async existing(file: StoredFile): Promise<AsyncIterable<Uint8Array> | undefined> {
    const path = this.path(file);
    const st = await stat(path).catch(() => undefined);
    if (st === undefined || !st.isFile() || st.size !== file.size) return undefined;
    return readParts(path, file.size);
  }
}

class TempWriter implements SinkWriter {
  #handle: FileHandle | undefined;
  readonly #temp: string;
  readonly #path: string;

  constructor(handle: FileHandle, temp: string, path: string) {
    this.#handle = handle;
    this.#temp = temp;
    this.#path = path;
  }

  async write(part: Uint8Array): Promise<void> {
    const handle = this.#handle;
    if (handle === undefined) return;
    for (let at = 0; at < part.length;) {
      const { bytesWritten } = await handle.write(part, at, part.length - at);
      at += bytesWritten;
    }
  }

  async commit(): Promise<void> {
    const handle = this.#handle;
    if (handle === undefined) throw new ForesightError("INTERNAL", "Cannot commit a closed file");
    this.#handle = undefined;
    await handle.close();
    await rename(this.#temp, this.#path);
  }

  async abort(): Promise<void> {
    const handle = this.#handle;
    this.#handle = undefined;
    await handle?.close().catch(() => {});
    await rm(this.#temp, { force: true });
  }
}

async function* readParts(path: string, size: number): AsyncGenerator<Uint8Array> {
  const handle = await open(path, "r");
  try {
    for (let at = 0; at < size;) {
      const part = new Uint8Array(Math.min(PART_BYTES, size - at));
      const { bytesRead } = await handle.read(part, 0, part.length, at);
      if (bytesRead === 0) return;
      at += bytesRead;
      yield part.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}
