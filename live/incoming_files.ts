/**
 * The files arriving at a client, at most one per source at a time: every
 * chunk is checked against the file's expected bytes as it comes and counted
 * in the summary's bytes; a file whose source is lost midway is discarded,
 * its bytes counted as discarded instead.
 *
 * @module
 */

import type { Source } from "../core/policy.ts";
import type { FileSource } from "../core/virtual_files.ts";
import { ForesightError } from "../errors.ts";
import type { ChunkMessage } from "../protocol/mod.ts";
import type { ClientSummary } from "./client.ts";

/** The bytes of a file under way from one source. */
export interface Transfer {
  readonly file: number;
  readonly size: number;
  /** Bytes in so far. */
  received: number;
  /** Every byte so far was right. */
  ok: boolean;
}

/**
 * The transfers under way, by source.
 *
 * @example
 * ```ts
 * const incoming = new IncomingFiles(files, summary);
 * incoming.begin(0, 2, 2048);
 * const t = incoming.add(0, chunk); // t.received === t.size: the file is in
 * if (t.received === t.size) incoming.end(0);
 * ```
 */
export class IncomingFiles {
  readonly #files: FileSource;
  readonly #summary: ClientSummary;
  readonly #bySource = new Map<Source, Transfer>();

  /**
   * @param files the expected bytes of every file
   * @param summary where the bytes in (`bytes`) and discarded (`discardedBytes`) are counted
   */
  constructor(files: FileSource, summary: ClientSummary) {
    this.#files = files;
    this.#summary = summary;
  }

  /** `source` begins sending `file` of `size` bytes. */
  begin(source: Source, file: number, size: number): Transfer {
    const t: Transfer = { file, size, received: 0, ok: true };
    this.#bySource.set(source, t);
    return t;
  }

  /**
   * Takes a chunk from `source`: checked, counted, added to its transfer.
   *
   * @returns the transfer it belongs to (complete when `received === size`)
   * @throws {ForesightError} PROTOCOL for a chunk of no file under way from
   *   `source`, or one past the file's size (nothing counted)
   */
  add(source: Source, m: ChunkMessage): Transfer {
    const t = this.#bySource.get(source);
    if (!t || t.file !== m.file) {
      throw new ForesightError(
        "PROTOCOL",
        `Cannot accept a chunk of file ${m.file} from source ${source}: not expected`,
      );
    }
    if (t.received + m.data.length > t.size) {
      throw new ForesightError(
        "PROTOCOL",
        `Cannot accept file ${m.file}: more than its ${t.size} bytes`,
      );
    }
    if (t.ok && !this.#files.verify(m.file, t.received, m.data)) t.ok = false;
    t.received += m.data.length;
    this.#summary.bytes += m.data.length;
    return t;
  }

  /** The transfer from `source` is over: every byte is in. */
  end(source: Source): void {
    this.#bySource.delete(source);
  }

  /** `source` is gone: its partial file, if any, is dropped and its bytes counted as discarded. */
  discard(source: Source): void {
    const t = this.#bySource.get(source);
    if (!t) return;
    this.#bySource.delete(source);
    this.#summary.bytes -= t.received;
    this.#summary.discardedBytes += t.received;
  }
}
