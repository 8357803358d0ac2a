import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DirStore } from "../../../store/dir_store.ts";

let dir: string | undefined;
after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("DirStore.readShared", () => {
  it("yields the same bytes as read, in one buffer refilled, and digest agrees", async () => {
    dir = await mkdtemp(join(tmpdir(), "foresight-shared-"));
    const bytes = new Uint8Array(randomBytes(3 * 1000 + 17));
    await writeFile(join(dir, "f.bin"), bytes);
    const store = await DirStore.open(dir, { partBytes: 1000 });
    const copies: Uint8Array[] = [];
    const buffers = new Set<ArrayBufferLike>();
    for await (const part of store.readShared(1, 5, bytes.length - 5)) {
      buffers.add(part.buffer);
      copies.push(part.slice());
    }
    assert.equal(copies.length, 4);
    assert.equal(buffers.size, 1, "one buffer for every part");
    assert.deepEqual(Buffer.concat(copies), Buffer.from(bytes.subarray(5)));
    const fresh = new Set<ArrayBufferLike>();
    for await (const part of store.read(1, 0, bytes.length)) fresh.add(part.buffer);
    assert.equal(fresh.size, 4, "read gives a fresh buffer per part");
    assert.equal(await store.digest(1), createHash("sha256").update(bytes).digest("hex"));
  });
});
