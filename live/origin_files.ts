/**
 * The files an origin serves: a {@link FileStore} read as it is sent, the
 * catalogue clients are given (for a real store: names, sizes, digests), and
 * the files found changed on disk since they were listed.
 *
 * @module
 */

import { Catalogue } from "../core/files/catalogue.ts";
import type { FileStore } from "../core/files/file_store.ts";
import type { Logger } from "../core/run/log.ts";
import { SyntheticStore } from "../core/files/synthetic_store.ts";
import { MAX_SLICE } from "../core/files/virtual_files.ts";
import { ForesightError } from "../errors.ts";

/**
 * A store as the origin serves it. A synthetic store sends no catalogue and
 * no digests (clients derive both); any other store has every digest
 * computed once, before the origin listens ({@link OriginFiles.open}).
 *
 * @example
 * ```ts
 * const files = await OriginFiles.open(await DirStore.open("./data"), log, scenario.seed);
 * for await (const part of files.parts(1)) await send(part);
 * ```
 */
export class OriginFiles {
  /** Where the bytes come from. */
  readonly store: FileStore;
  /** What clients are told (digests only for a real store). */
  readonly catalogue: Catalogue;
  /** True for a real store: clients get its catalogue, headers its digests. */
  readonly real: boolean;
  /** Files found changed since the listing, with the error that says so. */
  readonly changed: Map<number, ForesightError> = new Map();
  readonly #log: Logger;

  private constructor(store: FileStore, catalogue: Catalogue, log: Logger) {
    this.store = store;
    this.catalogue = catalogue;
    this.real = catalogue.hasDigests;
    this.#log = log;
  }

  /**
   * Serves `store`: the scenario's own synthetic files (a {@link SyntheticStore}
   * of its seed, file n of n KiB, which clients derive) as they are; any other
   * store after hashing every file (logged with its cost).
   *
   * @param seed the scenario's seed
   * @throws {ForesightError} what the store throws while hashing (FILE_CHANGED, PATH_REFUSED)
   */
  static async open(store: FileStore, log: Logger, seed: number): Promise<OriginFiles> {
    const files = store.list();
    if (
      store instanceof SyntheticStore && store.source.seed === seed >>> 0 &&
      store.source.unit === 1024
    ) {
      return new OriginFiles(store, new Catalogue(files), log);
    }
    const t0 = performance.now();
    const digests: string[] = [];
    let bytes = 0;
    for (const f of files) {
      digests.push(await store.digest(f.id));
      bytes += f.size;
    }
    const seconds = (performance.now() - t0) / 1000;
    log.log("info", "files hashed", {
      files: files.length,
      mib: +(bytes / 1_048_576).toFixed(1),
      seconds: +seconds.toFixed(2),
    });
    return new OriginFiles(store, new Catalogue(files, digests), log);
  }

  /** Bytes of file `id`. */
  size(id: number): number {
    return this.store.size(id);
  }

  /** SHA-256 of file `id` for its header (a real store), else `undefined`. */
  digest(id: number): string | undefined {
    return this.catalogue.digest(id);
  }

  /**
   * File `id`'s bytes for a transfer, read as they are sent. When the store
   * fails midway (the file changed on disk), the failure is logged, kept in
   * {@link changed}, and the rest of the transfer is zeros: the receiver's
   * digest check then rejects the copy and asks again, and a second ask is
   * refused. So a connection never carries a file shorter than its header said.
   */
  async *parts(id: number): AsyncGenerator<Uint8Array> {
    const size = this.size(id);
    let sent = 0;
    try {
      // Each part is copied into frames before the next is read: one buffer serves.
      const parts = this.store.readShared?.(id, 0, size) ?? this.store.read(id, 0, size);
      for await (const part of parts) {
        sent += part.length;
        yield part;
      }
    } catch (e) {
      const err = e instanceof ForesightError
        ? e
        : new ForesightError("INTERNAL", String(e), { cause: e });
      this.changed.set(id, err);
      this.#log.log("error", "cannot serve file", {
        file: id,
        code: err.code,
        reason: err.message,
      });
      const zeros = new Uint8Array(Math.min(MAX_SLICE, Math.max(size - sent, 0)));
      while (sent < size) {
        const n = Math.min(zeros.length, size - sent);
        sent += n;
        yield zeros.subarray(0, n);
      }
    }
  }

  /** Resolves when file `id` can be served again; throws the error it was refused with otherwise. */
  async check(id: number): Promise<void> {
    const known = this.changed.get(id);
    if (known) throw known;
    try {
      await this.store.check(id);
    } catch (e) {
      if (e instanceof ForesightError) this.changed.set(id, e);
      throw e;
    }
  }
}
