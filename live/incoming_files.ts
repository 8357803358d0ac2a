/**
 * The files arriving at a client, at most one per source at a time: every
 * chunk is checked as it comes (byte by byte for synthetic files, hashed for
 * a real store's), counted in the summary's bytes, and written to the sink
 * if there is one; a file is committed there only once verified. A file
 * whose source is lost midway is discarded, its bytes counted as discarded.
 *
 * @module
 */

import type { Catalogue } from "../core/files/catalogue.ts";
import type { FileCheck } from "../core/files/file_check.ts";
import type { FileSink, SinkWriter } from "../core/files/file_sink.ts";
import type { Source } from "../core/policies/policy.ts";
import { ForesightError } from "../errors.ts";
import type { ChunkMessage } from "../protocol/mod.ts";
import type { ClientSummary } from "./client.ts";

/** The bytes of a file under way from one source. */
export interface Transfer {
  readonly file: number;
  readonly size: number;
  /** Bytes in so far. */
  received: number;
  /** The check its bytes go through. */
  readonly check: FileCheck;
  /** This copy answers a `request` with `again` (outside the engine). */
  readonly again: boolean;
  /** Its copy in the sink, if any (a failed open or write rejects). */
  readonly writer: Promise<SinkWriter> | undefined;
}

/** What {@link IncomingFiles} needs. */
export interface IncomingOptions {
  readonly catalogue: Catalogue;
  /** Makes the check of file `id` (`header`: the digest its header carried). */
  readonly check: (id: number, header?: string) => FileCheck;
  /** Where the bytes in (`bytes`) and discarded (`discardedBytes`) are counted. */
  readonly summary: ClientSummary;
  /** Where verified files go (none: they are dropped once verified). */
  readonly sink?: FileSink;
}

/**
 * The transfers under way, by source.
 *
 * @example
 * ```ts
 * const incoming = new IncomingFiles({ catalogue, check, summary });
 * const t = incoming.begin(0, 2, 2048);
 * incoming.add(0, chunk);
 * if (t.received === t.size) await incoming.finish(0, t); // true when verified
 * ```
 */
export class IncomingFiles {
  readonly #o: IncomingOptions;
  readonly #bySource = new Map<Source, Transfer>();

  /** @param options the catalogue, the checks, the summary and the sink */
  constructor(options: IncomingOptions) {
    this.#o = options;
  }

  /** `source` begins sending `file` of `size` bytes (`sha256`: its header's digest). */
  begin(source: Source, file: number, size: number, sha256?: string, again = false): Transfer {
    const { sink, catalogue } = this.#o;
    const writer = sink?.open(catalogue.entry(file));
    writer?.catch(() => {}); // seen where it is awaited
    const t: Transfer = {
      file,
      size,
      received: 0,
      check: this.#o.check(file, sha256),
      again,
      writer,
    };
    this.#bySource.set(source, t);
    return t;
  }

  /** The transfer under way from `source`, if any. */
  current(source: Source): Transfer | undefined {
    return this.#bySource.get(source);
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
    t.check.add(m.data);
    t.received += m.data.length;
    this.#o.summary.bytes += m.data.length;
    return t;
  }

  /**
   * Writes `data` of transfer `t` to the sink (if any).
   *
   * @throws {ForesightError} WRITE_FAILED when the sink cannot take it
   */
  async write(t: Transfer, data: Uint8Array): Promise<void> {
    if (t.writer === undefined) return;
    try {
      await (await t.writer).write(data);
    } catch (e) {
      throw ioError(this.#o.catalogue.name(t.file), e);
    }
  }

  /**
   * Transfer `t` from `source` has every byte: ends it, and commits it to the
   * sink when verified (aborts it otherwise).
   *
   * @returns true when verified, false when not, `undefined` when the
   *   transfer was discarded meanwhile (its source was dropped)
   * @throws {ForesightError} WRITE_FAILED when the sink cannot keep a verified file
   */
  async finish(source: Source, t: Transfer): Promise<boolean | undefined> {
    if (this.#bySource.get(source) === t) this.#bySource.delete(source);
    const ok = await t.check.result();
    if (t.writer !== undefined) {
      try {
        const w = await t.writer;
        if (ok) await w.commit();
        else await w.abort();
      } catch (e) {
        throw ioError(this.#o.catalogue.name(t.file), e);
      }
    }
    return ok;
  }

  /** `source` is gone: its partial file, if any, is dropped and its bytes counted as discarded. */
  discard(source: Source): void {
    const t = this.#bySource.get(source);
    if (!t) return;
    this.#bySource.delete(source);
    t.writer?.then((w) => w.abort()).catch(() => {});
    this.#o.summary.bytes -= t.received;
    this.#o.summary.discardedBytes += t.received;
  }
}

function ioError(name: string, e: unknown): ForesightError {
  return new ForesightError(
    "WRITE_FAILED",
    `Cannot keep ${JSON.stringify(name)}: ${(e as Error).message}`,
    { cause: e },
  );
}
