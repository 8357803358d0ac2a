/**
 * The seeded virtual files (file n is n KiB) as a {@link FileStore}.
 *
 * @module
 */

import { ForesightError } from "../../errors.ts";
import { checkFileName } from "./file_name.ts";
import type { FileStore, StoredFile } from "./file_store.ts";
import { hashParts, keptDigest, type Sha256, webSha256 } from "./sha256.ts";
import { type FileSource, MAX_SLICE } from "./virtual_files.ts";

/**
 * Files 1..`files` of a {@link FileSource}, named `file-00001` … (zero-padded
 * to the width of the count, so names sort as ids do). Parts are zero-copy
 * views of the source's pool: read-only, as the interface says. Nothing
 * changes on disk, so `check` always passes.
 *
 * @example
 * ```ts
 * const store = new SyntheticStore({ source: new FileSource({ seed: 1 }), files: 300 });
 * store.size(7); // 7168
 * for await (const part of store.read(7, 0, 7168)) total += part.length;
 * ```
 */
export class SyntheticStore implements FileStore {
  /** The source the bytes come from. */
  readonly source: FileSource;
  readonly #files: number;
  readonly #partBytes: number;
  readonly #sha256: () => Sha256;
  readonly #digests = new Map<number, Promise<string>>();
  #list: readonly StoredFile[] | undefined;

  /**
   * @param options source: the virtual files; files: how many (ids 1..files);
   * partBytes: largest part `read` yields (default and most: {@link MAX_SLICE});
   * sha256: makes the hash for `digest` (default {@link webSha256}, which gathers the file;
   * `nodeSha256` from `store/` streams)
   * @throws {ForesightError} CONFIG when files or partBytes is not a positive integer
   */
  constructor(
    options: { source: FileSource; files: number; partBytes?: number; sha256?: () => Sha256 },
  ) {
    const { files, partBytes = MAX_SLICE } = options;
    if (!Number.isSafeInteger(files) || files < 1) {
      throw new ForesightError("CONFIG", `Cannot list synthetic files: count ${files} is not >= 1`);
    }
    if (!Number.isSafeInteger(partBytes) || partBytes < 1 || partBytes > MAX_SLICE) {
      throw new ForesightError(
        "CONFIG",
        `Cannot read synthetic files: part size ${partBytes} is not in 1..${MAX_SLICE}`,
      );
    }
    this.source = options.source;
    this.#files = files;
    this.#partBytes = partBytes;
    this.#sha256 = options.sha256 ?? webSha256;
  }

  /** Every file, built at the first call. */
  list(): readonly StoredFile[] {
    if (this.#list === undefined) {
      const width = String(this.#files).length;
      this.#list = Array.from({ length: this.#files }, (_, i): StoredFile => ({
        id: i + 1,
        name: `file-${String(i + 1).padStart(width, "0")}`,
        size: this.source.size(i + 1),
        mtimeMs: undefined,
      }));
    }
    return this.#list;
  }

  /** Bytes of file `id` (`id × unit`). */
  size(id: number): number {
    if (!Number.isInteger(id) || id < 1 || id > this.#files) {
      throw new ForesightError(
        "INTERNAL",
        `Cannot find synthetic file ${id}: the store has files 1..${this.#files}`,
      );
    }
    return this.source.size(id);
  }

  /** The file named `name` (`file-00007`), or `undefined`. */
  find(name: string): StoredFile | undefined {
    checkFileName(name);
    const id = Number(/^file-(\d+)$/.exec(name)?.[1]);
    const file = id >= 1 && id <= this.#files ? this.list()[id - 1] : undefined;
    return file?.name === name ? file : undefined;
  }

  /** `length` bytes of file `id` from `offset`, as views of at most the part size. */
  async *read(id: number, offset: number, length: number): AsyncGenerator<Uint8Array> {
    const size = this.size(id);
    if (
      !(Number.isSafeInteger(offset) && Number.isSafeInteger(length) && offset >= 0 &&
        length >= 0 && offset + length <= size)
    ) {
      throw new ForesightError(
        "INTERNAL",
        `Cannot read synthetic file ${id}: range ${offset}+${length} is outside its ${size} bytes`,
      );
    }
    const end = offset + length;
    for (let at = offset; at < end; at += this.#partBytes) {
      yield this.source.slice(id, at, Math.min(this.#partBytes, end - at));
    }
  }

  /** SHA-256 of file `id` in hex, computed once. */
  digest(id: number): Promise<string> {
    return keptDigest(
      this.#digests,
      id,
      () => hashParts(this.read(id, 0, this.size(id)), this.#sha256),
    );
  }

  /** Resolves: virtual files never change (but throws for an unknown id). */
  check(id: number): Promise<void> {
    try {
      this.size(id);
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error);
    }
  }
}
