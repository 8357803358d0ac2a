/**
 * How a client checks a file as it arrives: the synthetic files byte by byte
 * against their seeded content, a real store's by SHA-256 against the
 * catalogue's digest.
 *
 * @module
 */

import type { Catalogue } from "./catalogue.ts";
import type { Sha256 } from "./sha256.ts";
import type { FileSource } from "./virtual_files.ts";

/** One file's check: its parts in order, then the verdict. */
export interface FileCheck {
  /** Takes the next part. */
  add(part: Uint8Array): void;
  /** True when every byte was right. */
  result(): Promise<boolean>;
}

/**
 * Makes the check for file `id`: byte by byte against `source` when the
 * catalogue has no digests (the synthetic files), else a hash from `sha256`
 * compared with the catalogue's digest (and with `header`, the digest the
 * file's header carried, when given).
 *
 * @example
 * ```ts
 * const checkFor = fileChecker(catalogue, source, nodeSha256);
 * const check = checkFor(7);
 * check.add(bytes);
 * await check.result(); // true when the bytes are file 7's
 * ```
 */
export function fileChecker(
  catalogue: Catalogue,
  source: FileSource | undefined,
  sha256: () => Sha256,
): (id: number, header?: string) => FileCheck {
  return (id, header) => {
    const want = catalogue.digest(id);
    if (want === undefined && source !== undefined) return exactCheck(source, id);
    const hash = sha256();
    let length = 0;
    return {
      add(part) {
        hash.update(part);
        length += part.length;
      },
      async result() {
        const got = await hash.digest();
        return length === catalogue.size(id) && got === want && (header ?? got) === got;
      },
    };
  };
}

function exactCheck(source: FileSource, id: number): FileCheck {
  let at = 0;
  let ok = true;
  return {
    add(part) {
      if (ok && !source.verify(id, at, part)) ok = false;
      at += part.length;
    },
    result() {
      return Promise.resolve(ok && at === source.size(id));
    },
  };
}
