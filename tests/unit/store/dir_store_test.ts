import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import {
  mkdir,
  mkdtemp,
  rm,
  stat,
  symlink,
  truncate,
  unlink,
  utimes,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { DEFAULT_PART_BYTES, DirStore } from "../../../store/dir_store.ts";
import { type ErrorCode, isForesightError } from "../../../errors.ts";
import { concatBytes } from "../bytes.ts";

const BIG = "sub/deeper/big.bin";
/** The regular files of the tree, by name: a 0-byte file, one larger than two parts, odd names. */
function treeFiles(): Map<string, Uint8Array> {
  return new Map([
    ["a.txt", new TextEncoder().encode("hello\n")],
    ["empty", new Uint8Array(0)],
    [BIG, new Uint8Array(randomBytes(2 * DEFAULT_PART_BYTES + 12_345))],
    ["with space/file name.txt", new TextEncoder().encode("spaces in names")],
    ["naïve/été – ☃.txt", new TextEncoder().encode("non-ASCII")],
  ]);
}

/**
 * A temporary `root/` holding treeFiles(), a link inside it to a.txt, and links
 * out of it, to a folder and to nothing; beside it `outside/secret.txt`.
 */
async function makeTree(): Promise<{ dir: string; root: string; files: Map<string, Uint8Array> }> {
  const dir = await mkdtemp(join(tmpdir(), "foresight-store-"));
  try {
    const root = join(dir, "root");
    const files = treeFiles();
    for (const [name, bytes] of files) {
      await mkdir(join(root, name, ".."), { recursive: true });
      await writeFile(join(root, name), bytes);
    }
    await mkdir(join(dir, "outside"));
    await writeFile(join(dir, "outside", "secret.txt"), "secret");
    await symlink("a.txt", join(root, "link to a"));
    await symlink(join("..", "outside", "secret.txt"), join(root, "escape"));
    await symlink(join(dir, "outside"), join(root, "sub", "escape folder"));
    await symlink("deeper", join(root, "sub", "folder link"));
    await symlink("nowhere", join(root, "dangling"));
    files.set("link to a", files.get("a.txt")!);
    return { dir, root, files };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

async function readAll(parts: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const part of parts) out.push(part);
  return out;
}

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

function refusedWith(code: ErrorCode, ...texts: string[]): (e: unknown) => boolean {
  return (e) => {
    assert.ok(isForesightError(e, code), `expected ${code}, got ${String(e)}`);
    for (const text of texts) assert.ok(e.message.includes(text), `"${e.message}" lacks ${text}`);
    return true;
  };
}

describe("DirStore", () => {
  let tree: Awaited<ReturnType<typeof makeTree>>;
  let store: DirStore;
  before(async () => {
    tree = await makeTree();
    store = await DirStore.open(tree.root);
  });
  after(() => tree && rm(tree.dir, { recursive: true, force: true }));

  it("lists every regular file under the root by its /-separated name, ids 1..n in name order", () => {
    const names = [...tree.files.keys()].sort((a, b) => (a < b ? -1 : 1));
    assert.deepEqual(store.list().map((f) => f.name), names);
    for (const [i, file] of store.list().entries()) {
      assert.equal(file.id, i + 1);
      assert.equal(file.size, tree.files.get(file.name)!.length);
      assert.equal(store.size(file.id), file.size);
      assert.equal(typeof file.mtimeMs, "number");
    }
    assert.equal(store.list(), store.list(), "the same array on every call");
  });

  it("reads whole files in parts of at most the part size, equal to the bytes on disk", async () => {
    for (const file of store.list()) {
      const parts = await readAll(store.read(file.id, 0, file.size));
      assert.ok(parts.every((p) => p.length > 0 && p.length <= DEFAULT_PART_BYTES));
      assert.deepEqual(concatBytes(parts), tree.files.get(file.name), file.name);
    }
    const big = store.find(BIG)!;
    assert.deepEqual((await readAll(store.read(big.id, 0, big.size))).map((p) => p.length), [
      DEFAULT_PART_BYTES,
      DEFAULT_PART_BYTES,
      12_345,
    ]);
  });

  it("reads random ranges back equal to the file's bytes, at any part size", async () => {
    const bytes = tree.files.get(BIG)!;
    const small = await DirStore.open(tree.root, { partBytes: 4_099 });
    const id = store.find(BIG)!.id;
    await fc.assert(
      fc.asyncProperty(
        fc.nat(bytes.length),
        fc.nat(bytes.length),
        fc.boolean(),
        async (a, b, s) => {
          const [offset, end] = a <= b ? [a, b] : [b, a];
          const parts = await readAll((s ? small : store).read(id, offset, end - offset));
          assert.deepEqual(concatBytes(parts), bytes.subarray(offset, end));
        },
      ),
      { numRuns: 60 },
    );
  });

  it("digests each file as node:crypto's SHA-256 of its bytes, the empty file included", async () => {
    for (const file of store.list()) {
      assert.equal(await store.digest(file.id), sha256(tree.files.get(file.name)!), file.name);
    }
    assert.equal(
      await store.digest(store.find("empty")!.id),
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
  });

  it("refuses links out of the root, to folders and to nothing, naming each", () => {
    assert.deepEqual(store.refused.map((r) => r.name), [
      "dangling",
      "escape",
      "sub/escape folder",
      "sub/folder link",
    ]);
    for (const r of store.refused) {
      assert.ok(isForesightError(r.error, "PATH_REFUSED"));
      assert.ok(r.error.message.startsWith(`Cannot serve ${JSON.stringify(r.name)}: `));
    }
    assert.match(store.refused[1]!.error.message, /leads out of the root/);
    assert.throws(() => store.find("escape"), refusedWith("PATH_REFUSED", "out of the root"));
  });

  it("refuses absolute names and names with '..', and finds none it did not list", () => {
    for (const name of ["../outside/secret.txt", "sub/../a.txt", "/etc/passwd", "C:/x", "a\\b"]) {
      assert.throws(() => store.find(name), refusedWith("PATH_REFUSED", "Cannot serve"), name);
    }
    assert.equal(store.find("missing.txt"), undefined);
    assert.equal(store.find("a.txt")?.size, 6);
  });

  it("rejects a range outside the file and an unknown id", async () => {
    const a = store.find("a.txt")!;
    await assert.rejects(readAll(store.read(a.id, 4, 3)), refusedWith("INTERNAL", "a.txt"));
    assert.throws(() => store.size(0), refusedWith("INTERNAL"));
    await assert.rejects(store.check(store.list().length + 1), refusedWith("INTERNAL"));
  });

  it("cannot open a missing root or a file as the root", async () => {
    await assert.rejects(DirStore.open(join(tree.dir, "none")), refusedWith("CONFIG", "not exist"));
    await assert.rejects(DirStore.open(join(tree.root, "a.txt")), refusedWith("CONFIG"));
  });
});

describe("DirStore after the listing", () => {
  let tree: Awaited<ReturnType<typeof makeTree>>;
  let store: DirStore;
  before(async () => {
    tree = await makeTree();
    store = await DirStore.open(tree.root, { partBytes: 65_536 });
  });
  after(() => tree && rm(tree.dir, { recursive: true, force: true }));

  it("refuses a file rewritten with the same size, naming it", async () => {
    const file = store.find("a.txt")!;
    const path = join(tree.root, "a.txt");
    await writeFile(path, "HELLO\n");
    const later = new Date((file.mtimeMs ?? 0) + 10_000);
    await utimes(path, later, later);
    await assert.rejects(store.check(file.id), refusedWith("FILE_CHANGED", '"a.txt"', "modified"));
    await assert.rejects(
      readAll(store.read(file.id, 0, file.size)),
      refusedWith("FILE_CHANGED", '"a.txt"', "changed on disk after it was listed"),
    );
    await assert.rejects(store.digest(file.id), refusedWith("FILE_CHANGED", '"a.txt"'));
  });

  it("refuses a file that grew, that was removed, or that became a link out of the root", async () => {
    const spaced = store.find("with space/file name.txt")!;
    await writeFile(join(tree.root, spaced.name), "longer than it was listed");
    await assert.rejects(store.check(spaced.id), refusedWith("FILE_CHANGED", spaced.name, "size"));

    const empty = store.find("empty")!;
    await unlink(join(tree.root, "empty"));
    await assert.rejects(
      readAll(store.read(empty.id, 0, 0)),
      refusedWith("FILE_CHANGED", "removed"),
    );

    const accented = store.find("naïve/été – ☃.txt")!;
    await unlink(join(tree.root, accented.name));
    await symlink(join(tree.dir, "outside", "secret.txt"), join(tree.root, accented.name));
    await assert.rejects(
      readAll(store.read(accented.id, 0, accented.size)),
      refusedWith("FILE_CHANGED", accented.name),
    );
  });

  it("ends a read under way with FILE_CHANGED when the file is cut short", async () => {
    const big = store.find(BIG)!;
    const parts = store.read(big.id, 0, big.size)[Symbol.asyncIterator]();
    assert.equal((await parts.next()).value?.length, 65_536);
    await truncate(join(tree.root, BIG), 100_000);
    await assert.rejects(parts.next(), refusedWith("FILE_CHANGED", BIG, "ends at 100000 bytes"));
    assert.equal((await stat(join(tree.root, BIG))).size, 100_000);
  });
});
