/**
 * What a client knows of the origin's files: each id's name, size and (for a
 * real store) SHA-256. The synthetic files' catalogue is derived from the
 * scenario and never sent; a real store's travels in `catalogue` messages,
 * split so that each frame stays well under the frame limit.
 *
 * @module
 */

import { ForesightError } from "../../errors.ts";
import type { CatalogueMessage } from "../../protocol/mod.ts";
import type { StoredFile } from "./file_store.ts";
import { SyntheticStore } from "./synthetic_store.ts";
import type { FileSource } from "./virtual_files.ts";

/** Body bytes a `catalogue` message aims to stay under: 512 KiB (the frame limit is 1 MiB). */
export const CATALOGUE_FRAME_BYTES = 524_288;

/**
 * Files 1..n by id: name, size, digest (`undefined` for the synthetic files,
 * which are checked byte by byte instead).
 *
 * @example
 * ```ts
 * const cat = Catalogue.synthetic(new FileSource({ seed: 1 }), 300);
 * cat.name(7); // "file-007"
 * cat.size(7); // 7168
 * ```
 */
export class Catalogue {
  /** Every file, in id order (`files[i].id === i + 1`). */
  readonly files: readonly StoredFile[];
  readonly #digests: readonly string[] | undefined;
  #byName: Map<string, StoredFile> | undefined;

  /**
   * @param files every file in id order
   * @param digests one SHA-256 (hex) per file, or none (synthetic files)
   * @throws {ForesightError} INTERNAL when ids are not 1..n or the digests do not match the files
   */
  constructor(files: readonly StoredFile[], digests?: readonly string[]) {
    files.forEach((f, i) => {
      if (f.id !== i + 1) {
        throw new ForesightError("INTERNAL", `Cannot list file ${f.id} at place ${i + 1}`);
      }
    });
    if (digests !== undefined && digests.length !== files.length) {
      throw new ForesightError(
        "INTERNAL",
        `Cannot pair ${digests.length} digests with ${files.length} files`,
      );
    }
    this.files = files;
    this.#digests = digests;
  }

  /** The synthetic files 1..`files` of `source` (names `file-00001` …, no digests). */
  static synthetic(source: FileSource, files: number): Catalogue {
    return new Catalogue(new SyntheticStore({ source, files }).list());
  }

  /** Every file in id order (as a `FileStore` lists them: a demand file can name them). */
  list(): readonly StoredFile[] {
    return this.files;
  }

  /** True when files carry digests (a real store). */
  get hasDigests(): boolean {
    return this.#digests !== undefined;
  }

  /**
   * File `id`.
   *
   * @throws {ForesightError} INTERNAL when there is none
   */
  entry(id: number): StoredFile {
    const f = this.files[id - 1];
    if (f === undefined) {
      throw new ForesightError(
        "INTERNAL",
        `Cannot find file ${id}: the catalogue has files 1..${this.files.length}`,
      );
    }
    return f;
  }

  /** Bytes of file `id`. */
  size(id: number): number {
    return this.entry(id).size;
  }

  /** Name of file `id`. */
  name(id: number): string {
    return this.entry(id).name;
  }

  /** SHA-256 of file `id` in hex, or `undefined` for synthetic files. */
  digest(id: number): string | undefined {
    this.entry(id);
    return this.#digests?.[id - 1];
  }

  /** The file named `name`, or `undefined`. */
  find(name: string): StoredFile | undefined {
    this.#byName ??= new Map(this.files.map((f) => [f.name, f]));
    return this.#byName.get(name);
  }

  /** Every entry as `catalogue` messages, each body under `maxBytes` (but at least one entry). */
  messages(maxBytes: number = CATALOGUE_FRAME_BYTES): CatalogueMessage[] {
    const digests = this.#digests;
    if (digests === undefined) {
      throw new ForesightError("INTERNAL", "Cannot send a catalogue without digests");
    }
    const out: CatalogueMessage[] = [];
    const utf8 = new TextEncoder();
    let m: CatalogueMessage | undefined;
    let bytes = 0;
    for (const f of this.files) {
      // A name's JSON is at most 6 bytes per UTF-16 unit; size and digest fit in 90.
      const cost = utf8.encode(JSON.stringify(f.name)).length + 90;
      if (m === undefined || (bytes + cost > maxBytes && m.names.length > 0)) {
        m = { type: "catalogue", first: f.id, names: [], sizes: [], sha256: [] };
        out.push(m);
        bytes = 100;
      }
      m.names.push(f.name);
      m.sizes.push(f.size);
      m.sha256.push(digests[f.id - 1]!);
      bytes += cost;
    }
    return out;
  }
}

/**
 * Builds a {@link Catalogue} from the `catalogue` messages of a `welcome` that
 * announced `count` entries.
 *
 * @example
 * ```ts
 * const asm = new CatalogueAssembler(welcome.catalogue!);
 * while (!asm.complete) asm.add(await nextCatalogueMessage());
 * const cat = asm.catalogue();
 * ```
 */
export class CatalogueAssembler {
  readonly #count: number;
  readonly #files: StoredFile[] = [];
  readonly #digests: string[] = [];

  /** @param count entries the `welcome` announced */
  constructor(count: number) {
    this.#count = count;
  }

  /** True once every announced entry is in. */
  get complete(): boolean {
    return this.#files.length === this.#count;
  }

  /**
   * Takes the next message.
   *
   * @throws {ForesightError} PROTOCOL when it does not continue where the last ended,
   *   goes past the announced count, or repeats a name
   */
  add(m: CatalogueMessage): void {
    const next = this.#files.length + 1;
    if (m.first !== next || next - 1 + m.names.length > this.#count) {
      throw new ForesightError(
        "PROTOCOL",
        `Cannot take catalogue entries ${m.first}..${
          m.first + m.names.length - 1
        }: expected entries from ${next} up to ${this.#count}`,
      );
    }
    m.names.forEach((name, i) => {
      this.#files.push({ id: next + i, name, size: m.sizes[i]!, mtimeMs: undefined });
      this.#digests.push(m.sha256[i]!);
    });
  }

  /**
   * The catalogue, once complete.
   *
   * @throws {ForesightError} PROTOCOL when entries are missing or a name repeats
   */
  catalogue(): Catalogue {
    if (!this.complete) {
      throw new ForesightError(
        "PROTOCOL",
        `Cannot use the catalogue: ${this.#files.length} of ${this.#count} entries arrived`,
      );
    }
    const seen = new Set<string>();
    for (const f of this.#files) {
      if (seen.has(f.name)) {
        throw new ForesightError("PROTOCOL", `Cannot use the catalogue: ${f.name} appears twice`);
      }
      seen.add(f.name);
    }
    return new Catalogue(this.#files, this.#digests);
  }
}
