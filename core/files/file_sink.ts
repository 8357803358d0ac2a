/**
 * Where a client puts each verified file: a folder (`DirSink` in `store/`)
 * or a callback ({@link callbackSink}). A file's bytes are written as they
 * arrive and only {@link SinkWriter.commit}ted once every byte is verified;
 * a wrong or partial copy is {@link SinkWriter.abort}ed, so it never shows
 * under the file's name.
 *
 * @module
 */

import type { StoredFile } from "./file_store.ts";

/** One file being written: its parts in order, then commit (verified) or abort. */
export interface SinkWriter {
  /** Appends `part` (which the caller may reuse once this resolves). */
  write(part: Uint8Array): Promise<void>;
  /** Every byte is in and verified: the file appears under its name. */
  commit(): Promise<void>;
  /** The copy is wrong or incomplete: whatever was written is dropped. Safe to call twice. */
  abort(): Promise<void>;
}

/**
 * Where verified files go.
 *
 * @example
 * ```ts
 * const w = await sink.open(file);
 * for (const part of parts) await w.write(part);
 * ok ? await w.commit() : await w.abort();
 * ```
 */
export interface FileSink {
  /** Starts writing `file`. */
  open(file: StoredFile): Promise<SinkWriter>;
  /**
   * The bytes of a copy of `file` already there (of its size), to be verified
   * before the client skips it; `undefined` when there is none.
   */
  existing?(file: StoredFile): Promise<AsyncIterable<Uint8Array> | undefined>;
}

/**
 * A sink that hands each verified file, whole, to `onFile` (the bytes are
 * gathered in memory: for files that fit there).
 *
 * @example
 * ```ts
 * const sink = callbackSink((file, bytes) => console.log(file.name, bytes.length));
 * ```
 */
export function callbackSink(
  onFile: (file: StoredFile, bytes: Uint8Array) => void | Promise<void>,
): FileSink {
  return {
    open(file) {
      let bytes: Uint8Array | undefined = new Uint8Array(file.size);
      let at = 0;
      return Promise.resolve({
        write(part) {
          if (bytes === undefined) return Promise.resolve();
          bytes.set(part, at);
          at += part.length;
          return Promise.resolve();
        },
        async commit() {
          const whole = bytes;
          bytes = undefined;
          if (whole !== undefined) await onFile(file, whole);
        },
        abort() {
          bytes = undefined;
          return Promise.resolve();
        },
      });
    },
  };
}
