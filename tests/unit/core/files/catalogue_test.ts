import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Catalogue, CatalogueAssembler } from "../../../../core/files/catalogue.ts";
import { fileChecker } from "../../../../core/files/file_check.ts";
import { callbackSink } from "../../../../core/files/file_sink.ts";
import type { StoredFile } from "../../../../core/files/file_store.ts";
import { webSha256 } from "../../../../core/files/sha256.ts";
import { FileSource } from "../../../../core/files/virtual_files.ts";
import { encodeMessage, MessageDecoder } from "../../../../protocol/mod.ts";
import { isForesightError } from "../../../../errors.ts";

const utf8 = new TextEncoder();
const ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

/** `n` files with long non-ASCII names, each "abc". */
function files(n: number): StoredFile[] {
  return Array.from({ length: n }, (_, i) => ({
    id: i + 1,
    name: `dossier/${"é".repeat(300)}/${i}.txt`,
    size: 3,
    mtimeMs: undefined,
  }));
}

describe("Catalogue", () => {
  it("derives the synthetic files' names and sizes, without digests", () => {
    const cat = Catalogue.synthetic(new FileSource({ seed: 1 }), 300);
    assert.equal(cat.name(7), "file-007");
    assert.equal(cat.size(7), 7168);
    assert.equal(cat.digest(7), undefined);
    assert.equal(cat.find("file-300")?.id, 300);
    assert.equal(cat.find("file-301"), undefined);
    assert.throws(() => cat.entry(301), (e) => isForesightError(e, "INTERNAL"));
  });

  it("splits a large catalogue into frames under the limit that reassemble exactly", () => {
    const list = files(3000);
    const cat = new Catalogue(list, list.map(() => ABC));
    const messages = cat.messages(64 * 1024);
    assert.ok(messages.length > 10, `${messages.length} messages`);
    const decoder = new MessageDecoder();
    const asm = new CatalogueAssembler(3000);
    for (const m of messages) {
      const bytes = encodeMessage(m);
      assert.ok(bytes.length - 5 <= 64 * 1024, `a body of ${bytes.length - 5} bytes`);
      const [back] = decoder.push(bytes);
      assert.ok(back?.type === "catalogue");
      asm.add(back);
    }
    assert.equal(asm.complete, true);
    const again = asm.catalogue();
    assert.deepEqual(again.files, list);
    assert.equal(again.digest(3000), ABC);
    assert.equal(again.find(list[41]!.name)?.id, 42);
  });

  it("refuses entries out of order, past the count, missing, or a name twice", () => {
    const m = { type: "catalogue" as const, first: 1, names: ["a"], sizes: [3], sha256: [ABC] };
    const protocol = (e: unknown) => isForesightError(e, "PROTOCOL");
    assert.throws(() => new CatalogueAssembler(2).add({ ...m, first: 2 }), protocol);
    assert.throws(() => new CatalogueAssembler(1).add({ ...m, names: ["a", "b"] }), protocol);
    assert.throws(() => new CatalogueAssembler(2).catalogue(), /1 of 2|0 of 2/);
    const twice = new CatalogueAssembler(2);
    twice.add(m);
    twice.add({ ...m, first: 2 });
    assert.throws(() => twice.catalogue(), /"?a"? appears twice/);
  });
});

describe("fileChecker", () => {
  it("checks synthetic files byte by byte and real ones by digest, size and header", async () => {
    const source = new FileSource({ seed: 1 });
    const synthetic = fileChecker(Catalogue.synthetic(source, 10), source, webSha256);
    const good = synthetic(3);
    good.add(source.slice(3, 0, 1000));
    good.add(source.slice(3, 1000, 3 * 1024 - 1000));
    assert.equal(await good.result(), true);
    const bad = synthetic(3);
    const wrong = source.slice(3, 0, 3 * 1024).slice();
    wrong[2000] = wrong[2000]! ^ 1;
    bad.add(wrong);
    assert.equal(await bad.result(), false);
    const short = synthetic(3);
    short.add(source.slice(3, 0, 100));
    assert.equal(await short.result(), false, "a short file is not right");

    const real = fileChecker(new Catalogue(files(1), [ABC]), undefined, webSha256);
    const ok = real(1);
    ok.add(utf8.encode("ab"));
    ok.add(utf8.encode("c"));
    assert.equal(await ok.result(), true);
    const flipped = real(1);
    flipped.add(utf8.encode("abd"));
    assert.equal(await flipped.result(), false);
    const lying = real(1, "0".repeat(64)); // the header disagrees with the catalogue
    lying.add(utf8.encode("abc"));
    assert.equal(await lying.result(), false);
  });
});

describe("callbackSink", () => {
  it("hands over a committed file whole, and nothing of an aborted one", async () => {
    const got: [string, string][] = [];
    const sink = callbackSink((f, bytes) =>
      void got.push([f.name, new TextDecoder().decode(bytes)])
    );
    const [file] = files(1);
    const w = await sink.open(file!);
    await w.write(utf8.encode("ab"));
    await w.write(utf8.encode("c"));
    await w.commit();
    const dropped = await sink.open(file!);
    await dropped.write(utf8.encode("ab"));
    await dropped.abort();
    await dropped.abort();
    assert.deepEqual(got, [[file!.name, "abc"]]);
  });
});
