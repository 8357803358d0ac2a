// The library's real-files path in one process, over real loopback TCP: an
// origin over one's own FileStore (an in-memory one, here), a cache, and a
// client that hands each verified file to a callback and brings its own list.
// A store that yields wrong bytes once has that copy fetched again; one whose
// file changed on disk has it refused by name, counted failed, not corrupt.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { loadAdapter } from "../../../net/select.ts";
import { runOrigin } from "../../../live/origin.ts";
import { runCache } from "../../../live/cache.ts";
import { runClient } from "../../../live/client.ts";
import { CANONICAL, type Scenario } from "../../../core/run/scenario.ts";
import { silentLogger } from "../../../core/run/log.ts";
import { callbackSink } from "../../../core/files/file_sink.ts";
import type { FileStore, StoredFile } from "../../../core/files/file_store.ts";
import { hashParts, webSha256 } from "../../../core/files/sha256.ts";
import { ForesightError } from "../../../errors.ts";
import type { Address, NetAdapter } from "../../../net/types.ts";

/** Files in memory; `faults` may spoil the n-th read of a file, or fail its check. */
class MemoryStore implements FileStore {
  readonly #files: StoredFile[];
  readonly #bytes: Uint8Array[];
  readonly #reads = new Map<number, number>();
  flipOnRead: { id: number; read: number } | undefined;
  changed: number | undefined;

  constructor(entries: [string, Uint8Array][]) {
    this.#files = entries.map(([name, b], i) => ({ id: i + 1, name, size: b.length, mtimeMs: 0 }));
    this.#bytes = entries.map(([, b]) => b);
  }
  list(): readonly StoredFile[] {
    return this.#files;
  }
  size(id: number): number {
    return this.#files[id - 1]!.size;
  }
  find(name: string): StoredFile | undefined {
    return this.#files.find((f) => f.name === name);
  }
  async *read(id: number, offset: number, length: number): AsyncGenerator<Uint8Array> {
    const n = (this.#reads.get(id) ?? 0) + 1;
    this.#reads.set(id, n);
    if (this.changed === id) {
      throw new ForesightError(
        "FILE_CHANGED",
        `Cannot serve "${this.#files[id - 1]!.name}": it changed on disk after it was listed`,
      );
    }
    const part = this.#bytes[id - 1]!.slice(offset, offset + length);
    if (this.flipOnRead?.id === id && this.flipOnRead.read === n && part.length > 0) {
      part[0] = part[0]! ^ 1;
    }
    yield part;
  }
  digest(id: number): Promise<string> {
    const b = this.#bytes[id - 1]!;
    return hashParts(
      (async function* () {
        yield b;
      })(),
      webSha256,
    );
  }
  check(id: number): Promise<void> {
    return this.changed === id
      ? Promise.reject(
        new ForesightError(
          "FILE_CHANGED",
          `Cannot serve "${this.#files[id - 1]!.name}": it changed on disk after it was listed`,
        ),
      )
      : Promise.resolve();
  }
}

const text = (s: string) => new TextEncoder().encode(s);
const entries = (): [string, Uint8Array][] => [
  ["images/cat.jpg", text("meow".repeat(5000))],
  ["notes, 2024.txt", text("a note")],
  ["empty", new Uint8Array(0)],
  ["naïve/été.bin", new Uint8Array(70_000).map((_, i) => i * 7)],
];
const scenario = (files: number): Scenario => ({
  ...CANONICAL,
  files,
  caches: 1,
  clients: 1,
  requests: files,
  capacityKiB: 1000,
  scale: 1000,
});

/**
 * `n` files far larger than their id in KiB (a cache that took file n for n KiB
 * would ask for files that do not fit, and fail).
 */
function bigEntries(n: number): [string, Uint8Array][] {
  return Array.from({ length: n }, (_, i) => [`f${i}`, new Uint8Array(100_000 + 7_919 * i)]);
}

/** An origin over `store` on a free loopback port, once it listens: its address and its run. */
async function startOrigin(adapter: NetAdapter, store: MemoryStore, s: Scenario) {
  let origin!: Address;
  let listening!: () => void;
  const ready = new Promise<void>((r) => (listening = r));
  const originRun = runOrigin({
    scenario: s,
    store,
    adapter,
    log: silentLogger,
    listen: { host: "127.0.0.1", port: 0 },
    onListening: (a) => (origin = a, listening()),
  });
  await ready;
  return { origin, originRun };
}

/** An origin over `store`, a cache, and a client wanting `want`; the files the callback got. */
async function serve(store: MemoryStore, want: string[]) {
  const adapter = await loadAdapter();
  const { origin, originRun } = await startOrigin(adapter, store, scenario(store.list().length));
  const cache = runCache({
    adapter,
    origin,
    listen: { host: "127.0.0.1", port: 0 },
    log: silentLogger,
  });
  const got = new Map<string, Uint8Array>();
  const client = await runClient({
    adapter,
    origin,
    log: silentLogger,
    want: { text: JSON.stringify([want]), source: "want.json" },
    sink: callbackSink((f, bytes) => void got.set(f.name, bytes)),
  });
  return { client, got, cache: await cache, origin: await originRun };
}

describe("an origin over one's own store, a client with a callback", () => {
  it("hands every wanted file, verified, to the callback", async () => {
    const store = new MemoryStore(entries());
    const want = ["images/cat.jpg", "notes, 2024.txt", "empty", "naïve/été.bin"];
    const { client, got, cache, origin } = await serve(store, want);
    assert.equal(client.ok, true, client.error);
    assert.equal(client.verified, 4);
    assert.deepEqual([...got.keys()].sort(), [...want].sort());
    for (const [name, b] of entries()) assert.deepEqual(got.get(name), b, name);
    assert.equal(cache.ok, true);
    assert.equal(origin.ok, true);
  });

  it("a cache plans its room with the store's sizes: a tight cache refills and never overflows", async () => {
    const store = new MemoryStore(bigEntries(40));
    const adapter = await loadAdapter();
    const s = { ...scenario(40), clients: 2, requests: 30, capacityKiB: 600 };
    const { origin, originRun } = await startOrigin(adapter, store, s);
    const cache = runCache({
      adapter,
      origin,
      listen: { host: "127.0.0.1", port: 0 },
      log: silentLogger,
    });
    const clients = await Promise.all(
      [0, 1].map((index) => runClient({ adapter, origin, index, log: silentLogger })),
    );
    const c = await cache;
    assert.equal(c.ok, true, c.error);
    assert.ok(
      c.peakBytes <= 600 * 1024 && c.evicted > 0,
      `peak ${c.peakBytes}, evicted ${c.evicted}`,
    );
    for (const cl of clients) assert.equal(cl.ok, true, cl.error);
    assert.equal((await originRun).lostCaches, 0);
  });

  it("a wrong copy is never handed on: it is fetched again from the origin", async () => {
    const store = new MemoryStore(entries());
    store.flipOnRead = { id: 1, read: 1 }; // the origin's first read of images/cat.jpg is wrong
    const { client, got } = await serve(store, ["images/cat.jpg", "notes, 2024.txt"]);
    assert.equal(client.ok, true, client.error);
    assert.equal(client.refetched, 1);
    assert.equal(client.corrupt, 0);
    assert.deepEqual(got.get("images/cat.jpg"), entries()[0]![1], "the right bytes, once");
  });

  it("a file that changed is refused by name: failed, not corrupt, and the run ends", async () => {
    const store = new MemoryStore(entries());
    store.changed = 2; // hashed as listed, changed before it is sent
    const { client, got, origin } = await serve(store, ["images/cat.jpg", "notes, 2024.txt"]);
    assert.equal(client.ok, false);
    assert.equal(client.failed, 1);
    assert.equal(client.corrupt, 0);
    assert.equal(client.verified, 1);
    assert.match(client.error ?? "", /Cannot serve "notes, 2024.txt": it changed on disk/);
    assert.deepEqual([...got.keys()], ["images/cat.jpg"], "nothing of the changed file");
    assert.equal(origin.ok, true, "the origin itself went on");
  });
});
