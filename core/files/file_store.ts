/**
 * What an origin serves: a fixed list of files, each readable by byte range
 * and known by its SHA-256. Two stores implement it: {@link SyntheticStore}
 * (the seeded virtual files, in the core) and `DirStore` (a folder on disk,
 * in `store/`).
 *
 * @module
 */

/** One file of a store, as the store listed it. */
export interface StoredFile {
  /** 1..n: the file's place in the listing. */
  readonly id: number;
  /** Its path relative to the store's root, `/`-separated (see `fileNameProblem`). */
  readonly name: string;
  /** Bytes, as listed. */
  readonly size: number;
  /**
   * Last modification time as listed (ms since the epoch, with the fraction
   * the file system keeps), or `undefined` for files that never change.
   */
  readonly mtimeMs: number | undefined;
}

/**
 * A fixed listing of files, read by byte range as they are sent. The listing
 * is taken once, when the store is opened: ids are 1..n in the listing's
 * order and never change; a file that changes on disk afterwards is refused
 * (code `FILE_CHANGED`), never served with other bytes than the listed ones.
 *
 * @example
 * ```ts
 * async function send(store: FileStore, id: number, write: (b: Uint8Array) => Promise<void>) {
 *   const digest = await store.digest(id); // hex, for the file's header
 *   for await (const part of store.read(id, 0, store.size(id))) await write(part);
 * }
 * ```
 */
export interface FileStore {
  /** Every file, in id order: `list()[i].id === i + 1`. The same array on every call. */
  list(): readonly StoredFile[];
  /**
   * Bytes of file `id`, as listed.
   *
   * @throws {ForesightError} INTERNAL when `id` is not in 1..n
   */
  size(id: number): number;
  /**
   * The file named `name`, or `undefined` when the store lists none by that name.
   *
   * @throws {ForesightError} PATH_REFUSED when no store may serve the name (absolute,
   * `..`: see `checkFileName`) or this store refused it when listing
   */
  find(name: string): StoredFile | undefined;
  /**
   * `length` bytes of file `id` from `offset`, as parts of a bounded size read
   * when the caller asks for them (never the whole file at once). The caller
   * may keep a part but must not modify it. Ending the iteration early (a
   * `break`) releases whatever the store opened.
   *
   * @throws {ForesightError} INTERNAL when the range leaves the file; FILE_CHANGED
   * when the file changed since the listing (checked when the read opens it and
   * again before its last part); PATH_REFUSED when it can no longer be served
   */
  read(id: number, offset: number, length: number): AsyncIterable<Uint8Array>;
  /**
   * Optional: as {@link FileStore.read}, but every part may be one buffer,
   * refilled: a part is valid only until the next is asked for. For callers
   * that use or copy each part at once (the origin's sending, hashing): no
   * garbage per part.
   */
  readShared?(id: number, offset: number, length: number): AsyncIterable<Uint8Array>;
  /**
   * SHA-256 of file `id`'s listed bytes as 64 lowercase hex digits, computed
   * at the first call and kept.
   *
   * @throws {ForesightError} as {@link FileStore.read}
   */
  digest(id: number): Promise<string>;
  /**
   * Resolves when file `id` is still as listed (size, modification time,
   * identity on disk).
   *
   * @throws {ForesightError} FILE_CHANGED naming the file otherwise
   */
  check(id: number): Promise<void>;
}
