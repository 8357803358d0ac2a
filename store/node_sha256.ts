/**
 * SHA-256 with `node:crypto`, which Node, Deno and Bun all provide and which
 * hashes each part as it is added (no whole-file buffer). The faster than
 * Web Crypto on all three by `bench/hash.ts`.
 *
 * @module
 */

import { createHash } from "node:crypto";
import type { Sha256 } from "../core/files/sha256.ts";

/**
 * A streaming SHA-256 over `node:crypto`'s `createHash`.
 *
 * @example
 * ```ts
 * const hash = nodeSha256();
 * hash.update(new TextEncoder().encode("ab"));
 * hash.update(new TextEncoder().encode("c"));
 * await hash.digest(); // "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
 * ```
 */
export function nodeSha256(): Sha256 {
  const hash = createHash("sha256");
  return {
    update(part) {
      hash.update(part);
    },
    digest() {
      return Promise.resolve(hash.digest("hex"));
    },
  };
}
