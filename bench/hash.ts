/**
 * SHA-256 speed, to pick the store's hash: on the same 64 MiB of random
 * bytes in the same run, best of 5 each, prints MB/s (10^6 bytes/s) of
 *
 * - `node:crypto` createHash fed 256 KiB parts (streaming: `nodeSha256`, the
 *   DirStore's default);
 * - Web Crypto `crypto.subtle.digest` on the whole buffer (one-shot, the
 *   buffer already in memory: its best case);
 * - `webSha256` fed the same parts (copies them and joins the copies, as a
 *   one-shot hash must when the parts come one by one: the SyntheticStore's default).
 *
 *   npx bun bench/hash.ts
 *   npx deno run bench/hash.ts
 *   npx esbuild bench/hash.ts --bundle --platform=node --format=esm --outfile=/tmp/hash.mjs \
 *     --log-level=warning && node /tmp/hash.mjs
 *
 * and, beside them, the check a client makes of a synthetic file instead of
 * hashing it (`FileSource.verify`, byte by byte against the seeded content,
 * part by part), on a synthetic file of the same size.
 *
 * `--mib N` sets the size (default 64).
 *
 * @module
 */

import process from "node:process";
import { parseArgs } from "node:util";
import { nodeSha256 } from "../store/node_sha256.ts";
import { hashParts, toHex, webSha256 } from "../core/files/sha256.ts";
import { DEFAULT_PART_BYTES } from "../store/dir_store.ts";
import { detectRuntime } from "../net/select.ts";
import { FileSource } from "../core/files/virtual_files.ts";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: { mib: { type: "string", default: "64" } },
});
const bytes = Number(values.mib) * 1_048_576;
const data = new Uint8Array(bytes);
for (let at = 0; at < bytes; at += 65_536) {
  crypto.getRandomValues(data.subarray(at, Math.min(bytes, at + 65_536)));
}

async function* parts(): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes; at += DEFAULT_PART_BYTES) {
    yield data.subarray(at, Math.min(bytes, at + DEFAULT_PART_BYTES));
  }
}

const ways: Record<string, () => Promise<string>> = {
  "node:crypto createHash, streamed": () => hashParts(parts(), nodeSha256),
  "crypto.subtle.digest, one buffer": async () =>
    toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", data))),
  "webSha256, gathers the parts": () => hashParts(parts(), webSha256),
};

console.log(`SHA-256 of ${values.mib} MiB on ${detectRuntime()}, best of 5 (MB/s)`);
const digests = new Set<string>();
for (const [name, hash] of Object.entries(ways)) {
  let best = Infinity;
  for (let run = 0; run < 5; run++) {
    const t0 = performance.now();
    digests.add(await hash());
    best = Math.min(best, performance.now() - t0);
  }
  console.log(`  ${name.padEnd(36)} ${(bytes / 1e3 / best).toFixed(0).padStart(6)} MB/s`);
}
// A synthetic file of the same size (file n is n KiB), checked as a client checks it.
const source = new FileSource({ seed: 1 });
const id = Math.ceil(bytes / 1024);
const copy = new Uint8Array(source.size(id));
for (let at = 0; at < copy.length; at += 65_536) {
  copy.set(source.slice(id, at, Math.min(65_536, copy.length - at)), at);
}
let best = Infinity;
for (let run = 0; run < 5; run++) {
  const t0 = performance.now();
  let ok = true;
  for (let at = 0; at < copy.length; at += DEFAULT_PART_BYTES) {
    ok &&= source.verify(id, at, copy.subarray(at, Math.min(copy.length, at + DEFAULT_PART_BYTES)));
  }
  if (!ok) throw new Error("Cannot trust the figures: the synthetic copy does not verify");
  best = Math.min(best, performance.now() - t0);
}
console.log(
  `  ${"synthetic byte check (no hash)".padEnd(36)} ${
    (copy.length / 1e3 / best).toFixed(0).padStart(6)
  } MB/s`,
);
if (digests.size !== 1) {
  console.error(`Cannot trust the figures: the ways disagree (${[...digests].join(", ")})`);
  process.exitCode = 1;
}
