import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import fc from "fast-check";
import { SyntheticStore } from "../../../../core/files/synthetic_store.ts";
import { FileSource, MAX_SLICE } from "../../../../core/files/virtual_files.ts";
import { hashParts, toHex, webSha256 } from "../../../../core/files/sha256.ts";
import { nodeSha256 } from "../../../../store/node_sha256.ts";
import { isForesightError } from "../../../../errors.ts";

const source = new FileSource({ seed: 7 });

async function readAll(parts: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const part of parts) out.push(part);
  return out;
}

function sha256Of(parts: Uint8Array[]): string {
  const hash = createHash("sha256");
  for (const part of parts) hash.update(part);
  return hash.digest("hex");
}

describe("SyntheticStore", () => {
  const store = new SyntheticStore({ source, files: 2_000 });

  it("lists files 1..n, n KiB each, named so that names sort as ids do", () => {
    const list = store.list();
    assert.equal(list.length, 2_000);
    assert.deepEqual(list[6], { id: 7, name: "file-0007", size: 7_168, mtimeMs: undefined });
    assert.equal(list.at(-1)!.name, "file-2000");
    assert.deepEqual(list.map((f) => f.name), list.map((f) => f.name).sort());
    assert.equal(store.size(2_000), 2_048_000);
    assert.equal(store.list(), list, "the same array on every call");
  });

  it("finds a file by its exact name and refuses names that leave the root", () => {
    assert.equal(store.find("file-0007")?.id, 7);
    assert.equal(store.find("file-7"), undefined);
    assert.equal(store.find("file-2001"), undefined);
    assert.throws(() => store.find("../file-0007"), (e) => isForesightError(e, "PATH_REFUSED"));
  });

  it("reads a file as the source's bytes, in parts of at most the part size", async () => {
    const small = new SyntheticStore({ source, files: 2_000, partBytes: 1_000 });
    const parts = await readAll(small.read(7, 100, 2_500));
    assert.deepEqual(parts.map((p) => p.length), [1_000, 1_000, 500]);
    assert.ok(source.verify(7, 100, Uint8Array.from(parts.flatMap((p) => [...p]))));
    const large = await readAll(store.read(1_500, 0, store.size(1_500)));
    assert.deepEqual(large.map((p) => p.length), [MAX_SLICE, 1_500 * 1024 - MAX_SLICE]);
  });

  it("reads random ranges back equal to the file's bytes", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 2_000 }),
        fc.nat(),
        fc.nat(),
        fc.integer({ min: 1_000, max: MAX_SLICE }),
        async (id, a, b, partBytes) => {
          const size = store.size(id);
          const [offset, end] = [a % (size + 1), b % (size + 1)].sort((x, y) => x - y) as [
            number,
            number,
          ];
          const parts = await readAll(
            new SyntheticStore({ source, files: 2_000, partBytes }).read(id, offset, end - offset),
          );
          let at = offset;
          for (const part of parts) {
            assert.ok(part.length <= partBytes);
            assert.ok(source.verify(id, at, part));
            at += part.length;
          }
          assert.equal(at, end);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("digests files as node:crypto's SHA-256, larger than one part too, with either hash", async () => {
    const withNode = new SyntheticStore({ source, files: 2_000, sha256: nodeSha256 });
    for (const id of [1, 7, 1_500]) {
      const expected = sha256Of(await readAll(store.read(id, 0, store.size(id))));
      assert.equal(await store.digest(id), expected);
      assert.equal(await withNode.digest(id), expected);
    }
    assert.equal(store.digest(7), store.digest(7), "kept after the first call");
  });

  it("rejects unknown ids and ranges outside the file; check passes for listed files", async () => {
    assert.throws(() => store.size(0), (e) => isForesightError(e, "INTERNAL"));
    await assert.rejects(store.digest(2_001), (e) => isForesightError(e, "INTERNAL"));
    await assert.rejects(readAll(store.read(1, 1_000, 25)), (e) => isForesightError(e, "INTERNAL"));
    await store.check(2_000);
    await assert.rejects(store.check(2_001), (e) => isForesightError(e, "INTERNAL"));
    assert.throws(
      () => new SyntheticStore({ source, files: 0 }),
      (e) => isForesightError(e, "CONFIG"),
    );
  });
});

describe("webSha256, nodeSha256 and toHex", () => {
  it("hash the empty input and split input like node:crypto", async () => {
    async function* parts(...texts: string[]) {
      for (const t of texts) yield new TextEncoder().encode(t);
    }
    for (const make of [webSha256, nodeSha256]) {
      assert.equal(await hashParts(parts(), make), sha256Of([]));
      assert.equal(
        await hashParts(parts("a", "", "bc"), make),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
      );
    }
    assert.equal(toHex(new Uint8Array([0, 15, 255])), "000fff");
  });

  it("webSha256 copies each part, so the caller may reuse its buffer", async () => {
    const buffer = new TextEncoder().encode("abc");
    const hash = webSha256();
    hash.update(buffer);
    buffer.fill(0);
    assert.equal(
      await hash.digest(),
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
  });
});
