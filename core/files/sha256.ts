/**
 * SHA-256 as an object fed part by part, so a sender can hash what it reads
 * and a receiver what arrives. The core's own is Web Crypto ({@link webSha256}:
 * one-shot, so it gathers a copy of the parts); the streaming one over
 * `node:crypto` is `store/node_sha256.ts`, the faster on Node, Deno and Bun
 * (`bench/hash.ts`).
 *
 * @module
 */

/** One SHA-256 computation: feed it the bytes in order, then ask for the digest once. */
export interface Sha256 {
  /** Adds `part` (which the caller may reuse once this returns). */
  update(part: Uint8Array): void;
  /** The digest of everything added, as 64 lowercase hex digits. */
  digest(): Promise<string>;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/**
 * `bytes` as lowercase hex digits.
 *
 * @example
 * ```ts
 * toHex(new Uint8Array([0, 255])); // "00ff"
 * ```
 */
export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += HEX[b];
  return out;
}

/**
 * SHA-256 with Web Crypto (`crypto.subtle.digest`), which takes one buffer:
 * each part is copied as it is added and the copies joined at the end, so this
 * holds the whole input (twice, at the end) for the time of the hash. For
 * where no streaming hash exists.
 *
 * @example
 * ```ts
 * const hash = webSha256();
 * hash.update(new TextEncoder().encode("abc"));
 * await hash.digest(); // "ba7816bf..."
 * ```
 */
export function webSha256(): Sha256 {
  const parts: Uint8Array<ArrayBuffer>[] = [];
  let total = 0;
  return {
    update(part) {
      parts.push(part.slice());
      total += part.length;
    },
    async digest() {
      const whole = parts.length === 1 ? parts[0]! : new Uint8Array(total);
      if (parts.length !== 1) {
        let at = 0;
        for (const part of parts) {
          whole.set(part, at);
          at += part.length;
        }
      }
      parts.length = 0;
      return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", whole)));
    },
  };
}

/**
 * Hashes every part `parts` yields with a fresh hash from `make`.
 *
 * @example
 * ```ts
 * const hex = await hashParts(store.read(7, 0, store.size(7)), webSha256);
 * ```
 */
export async function hashParts(
  parts: AsyncIterable<Uint8Array>,
  make: () => Sha256,
): Promise<string> {
  const hash = make();
  for await (const part of parts) hash.update(part);
  return await hash.digest();
}

/**
 * The digest of `id` from `kept`, else computed by `compute` and kept (a
 * failure is not kept: the next call tries again).
 *
 * @example
 * ```ts
 * const digest = keptDigest(digests, 7, () => hashParts(store.read(7, 0, size), nodeSha256));
 * ```
 */
export function keptDigest(
  kept: Map<number, Promise<string>>,
  id: number,
  compute: () => Promise<string>,
): Promise<string> {
  let digest = kept.get(id);
  if (digest === undefined) {
    digest = (async () => await compute())();
    kept.set(id, digest);
    digest.catch(() => kept.delete(id));
  }
  return digest;
}
