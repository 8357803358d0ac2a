import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DirSink } from "../../../store/dir_sink.ts";
import type { StoredFile } from "../../../core/files/file_store.ts";
import { isForesightError } from "../../../errors.ts";

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function temp(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "foresight-sink-"));
  dirs.push(d);
  return d;
}
const file = (name: string, size: number): StoredFile => ({
  id: 1,
  name,
  size,
  mtimeMs: undefined,
});
const utf8 = new TextEncoder();

async function gather(parts: AsyncIterable<Uint8Array> | undefined): Promise<string | undefined> {
  if (parts === undefined) return undefined;
  let s = "";
  for await (const p of parts) s += new TextDecoder().decode(p);
  return s;
}

describe("DirSink", () => {
  it("shows a file under its name only once committed, subfolders created", async () => {
    const root = await temp();
    const sink = new DirSink(root);
    const f = file("naïve/with space/été ☃.txt", 5);
    const w = await sink.open(f);
    await w.write(utf8.encode("hel"));
    assert.deepEqual(await readdir(join(root, "naïve", "with space")), [
      ".été ☃.txt.foresight-part",
    ]);
    assert.equal(await sink.existing(f), undefined, "not there before the commit");
    await w.write(utf8.encode("lo"));
    await w.commit();
    assert.deepEqual(await readdir(join(root, "naïve", "with space")), ["été ☃.txt"]);
    assert.equal(await readFile(join(root, "naïve", "with space", "été ☃.txt"), "utf8"), "hello");
    assert.equal(await gather(await sink.existing(f)), "hello");
  });

  it("leaves nothing of an aborted file, and a leftover temporary file is overwritten", async () => {
    const root = await temp();
    const sink = new DirSink(root);
    await writeFile(join(root, ".a.bin.foresight-part"), "left by a killed client, longer");
    const w = await sink.open(file("a.bin", 3));
    await w.write(utf8.encode("abc"));
    await w.abort();
    await w.abort();
    assert.deepEqual(await readdir(root), []);
    const again = await sink.open(file("a.bin", 3));
    await again.write(utf8.encode("xyz"));
    await again.commit();
    assert.equal(await readFile(join(root, "a.bin"), "utf8"), "xyz");
  });

  it("offers an existing copy only at the listed size, and refuses names that leave the folder", async () => {
    const root = await temp();
    const sink = new DirSink(root);
    await writeFile(join(root, "b.txt"), "1234");
    assert.equal(await sink.existing(file("b.txt", 3)), undefined);
    assert.equal(await gather(await sink.existing(file("b.txt", 4))), "1234");
    for (const name of ["../x", "/etc/passwd", "a/../../x"]) {
      await assert.rejects(sink.open(file(name, 1)), (e) => isForesightError(e, "PATH_REFUSED"));
    }
  });
});
