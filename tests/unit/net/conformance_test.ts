/**
 * The conformance suite every socket adapter passes. It runs against the
 * adapter of the runtime executing it, over real loopback TCP sockets, and
 * uses only `node:test` and `node:assert/strict` so that `node --test` (after
 * bundling), `deno test` and `bun test` all run it unchanged.
 *
 * @module
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { isForesightError } from "../../../errors.ts";
import { detectRuntime, loadAdapter } from "../../../net/select.ts";
import { type Conn, LENT_BYTES, type Listener, type NetAdapter } from "../../../net/types.ts";
import { concatBytes } from "../bytes.ts";

const HOST = "127.0.0.1";
const KiB = 1024;
const MiB = 1024 * KiB;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Resolves after `ms`, or to `true` early if `promise` settles first; clears its timer. */
function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<boolean>((resolve) => timer = setTimeout(() => resolve(false), ms));
  const early = promise.then(() => true, () => true);
  return Promise.race([early, late]).finally(() => clearTimeout(timer));
}

/** `promise`, or a rejection naming `what` after `ms`. */
async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  if (await settlesWithin(promise, ms)) return promise;
  throw new Error(`${what}: nothing after ${ms} ms`);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Deterministic pseudo-random bytes (xorshift32). */
function pattern(length: number, seed = 0x9e3779b9): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return bytes;
}

async function sha256(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Everything `conn` reads until EOF (copied: chunks are lent). */
async function readAll(conn: Conn): Promise<Uint8Array<ArrayBuffer>> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of conn.readable) chunks.push(chunk.slice());
  return concatBytes(chunks);
}

/** Writes every chunk it reads back, then half-closes. */
async function echo(conn: Conn): Promise<void> {
  try {
    for await (const chunk of conn.readable) await conn.write(chunk);
    await conn.closeWrite();
  } catch {
    conn.close();
  }
}

/** A listener on 127.0.0.1:0 whose accepted connections come out of `accepted()` in order. */
async function serve(
  adapter: NetAdapter,
  handle?: (conn: Conn) => unknown,
): Promise<{ listener: Listener; accepted(): Promise<Conn> }> {
  const waiting: Conn[] = [];
  const wanted: ((conn: Conn) => void)[] = [];
  const listener = await adapter.listen({ host: HOST, port: 0 }, (conn) => {
    handle?.(conn);
    const want = wanted.shift();
    if (want === undefined) waiting.push(conn);
    else want(conn);
  });
  const accepted = () => {
    const conn = waiting.shift();
    const next = conn !== undefined
      ? Promise.resolve(conn)
      : new Promise<Conn>((resolve) => wanted.push(resolve));
    return within(2000, "accept", next);
  };
  return { listener, accepted };
}

const isCode = (code: string) => (e: unknown) => isForesightError(e) && e.code === code;

/** Registers what a test opens; everything registered is closed when the test ends. */
type Track = <T extends Conn | Listener>(thing: T) => T;

/** `it`, closing whatever the test tracked however it ends (Deno checks for leaks). */
function check(name: string, fn: (track: Track) => Promise<void>): void {
  it(name, async () => {
    const open: (Conn | Listener)[] = [];
    try {
      await fn((thing) => {
        open.push(thing);
        return thing;
      });
    } finally {
      for (const thing of open.reverse()) await thing.close();
    }
  });
}

describe(`net adapter conformance (${detectRuntime()})`, () => {
  let adapter: NetAdapter;

  before(async () => {
    adapter = await loadAdapter();
  });

  it("loads the adapter of the runtime it runs on", () => {
    assert.equal(adapter.runtime, detectRuntime());
  });

  // 32 MiB, not 8: loopback buffers here hold ~10 MiB each way, so a smaller
  // echo would never make the writer wait for the reader.
  check(
    "echoes 32 MiB in 64 KiB writes intact and holds the writer back to a slow reader",
    async (track) => {
      const { listener } = await serve(adapter, echo);
      track(listener);
      const conn = track(await adapter.connect({ host: HOST, port: listener.address.port }));
      const data = pattern(32 * MiB);
      let written = 0;
      let read = 0;
      let maxAhead = 0;
      const writer = (async () => {
        for (let at = 0; at < data.length; at += 64 * KiB) {
          await conn.write(data.subarray(at, at + 64 * KiB));
          written += 64 * KiB;
          maxAhead = Math.max(maxAhead, written - read);
        }
        await conn.closeWrite();
      })();
      const reader = (async () => {
        await sleep(100); // the reader starts late, then naps every 512 KiB
        const chunks: Uint8Array[] = [];
        let sinceNap = 0;
        for await (const chunk of conn.readable) {
          chunks.push(chunk.slice());
          read += chunk.byteLength;
          sinceNap += chunk.byteLength;
          if (sinceNap < 512 * KiB) continue;
          sinceNap = 0;
          await sleep(5);
        }
        return chunks;
      })();
      const chunks = await within(15_000, "reader", reader);
      await within(5000, "writer", writer);
      assert.equal(read, data.length);
      assert.equal(await sha256(concatBytes(chunks)), await sha256(data));
      assert.ok(maxAhead < 24 * MiB, `the writer got ${maxAhead} bytes ahead of the reader`);
      assert.equal(await within(2000, "closed", conn.closed), undefined);
    },
  );

  check(
    "writev sends its parts in order, as write would their concatenation, and rejects once closed",
    async (track) => {
      const { listener, accepted } = await serve(adapter);
      track(listener);
      const conn = track(await adapter.connect({ host: HOST, port: listener.address.port }));
      const server = track(await accepted());
      // The reader starts late, so the writer fills the socket buffers and waits.
      const received = sleep(200).then(() => readAll(server));
      const data = pattern(24 * MiB);
      // Batches of 0 to 70 parts of 0 to 100 KiB (some over what Deno and Bun
      // gather into a reused buffer), with plain writes and empty batches between.
      let r = 0x6b43a9b5;
      const next = (n: number) => (r = (Math.imul(r, 1103515245) + 12345) >>> 0) % n;
      for (let at = 0; at < data.length;) {
        const parts: Uint8Array[] = [];
        for (let k = next(71); k > 0 && at < data.length; k--) {
          const n = Math.min(next(3) === 0 ? 0 : 1 + next(100 * KiB), data.length - at);
          parts.push(data.slice(at, at + n)); // its own copy, spoiled once the write is done
          at += n;
        }
        if (next(4) === 0) {
          for (const part of parts) await conn.write(part);
        } else {
          await conn.writev(parts);
        }
        for (const part of parts) part.fill(0xee); // taken already: must not change what was sent
      }
      await conn.writev([]);
      await conn.closeWrite();
      const got = await within(15_000, "reader", received);
      assert.equal(got.byteLength, data.length);
      assert.equal(await sha256(got), await sha256(data));
      await assert.rejects(conn.writev([pattern(3), pattern(4)]), isCode("CONN_CLOSED"));
    },
  );

  // Lent chunks: each must stay as it was until the reader has taken
  // LENT_BYTES more. A reader that naps lets push-based adapters queue up.
  for (
    const [what, sizes] of [["64 KiB", () => 64 * KiB], [
      "1 B to 100 KiB",
      (r: number) => 1 + r % (100 * KiB),
    ]] as const
  ) {
    check(
      `keeps each chunk intact until LENT_BYTES more are read (${what} writes)`,
      async (track) => {
        const { listener, accepted } = await serve(adapter);
        track(listener);
        const conn = track(await adapter.connect({ host: HOST, port: listener.address.port }));
        const server = track(await accepted());
        const data = pattern(12 * MiB);
        const writer = (async () => {
          let r = 0x2545f491;
          for (let at = 0; at < data.length;) {
            r = (Math.imul(r, 1103515245) + 12345) >>> 0;
            const n = Math.min(sizes(r >>> 8), data.length - at);
            await conn.write(data.subarray(at, at + n));
            at += n;
          }
          await conn.closeWrite();
        })();
        // Both ends read and are read: the accepted side and the connected one.
        for (const [from, to] of [[conn, server], [server, conn]] as const) {
          const forward = from === conn ? writer : (async () => {
            for (let at = 0; at < data.length; at += 256 * KiB) {
              await from.write(data.subarray(at, at + 256 * KiB));
            }
            await from.closeWrite();
          })();
          const kept: { view: Uint8Array; at: number; end: number }[] = [];
          let read = 0;
          for await (const chunk of to.readable) {
            // A chunk taken fewer than LENT_BYTES ago is checked before it may go.
            while (kept.length > 0 && read + chunk.length - kept[0]!.end >= LENT_BYTES) {
              const k = kept.shift()!;
              assert.deepEqual(
                k.view,
                data.subarray(k.at, k.end),
                `bytes ${k.at}..${k.end} changed`,
              );
            }
            assert.deepEqual(chunk, data.subarray(read, read + chunk.length));
            kept.push({ view: chunk, at: read, end: read + chunk.length });
            read += chunk.length;
            if (read % (1 * MiB) < chunk.length) await sleep(5);
          }
          for (const k of kept) assert.deepEqual(k.view, data.subarray(k.at, k.end));
          assert.equal(read, data.length);
          await within(5000, "writer", forward);
        }
      },
    );
  }

  check(
    "makes a write wait while the peer reads nothing, then finishes it once the peer reads",
    async (track) => {
      const { listener, accepted } = await serve(adapter);
      track(listener);
      const conn = track(await adapter.connect({ host: HOST, port: listener.address.port }));
      const server = track(await accepted());
      const chunk = pattern(64 * KiB);
      let written = 0;
      let stalled: Promise<void> | undefined;
      while (written < 256 * MiB) {
        const write = conn.write(chunk);
        if (!await settlesWithin(write, 250)) {
          stalled = write;
          break;
        }
        await write;
        written += chunk.byteLength;
      }
      assert.ok(stalled !== undefined, "no write ever waited for the reader");
      assert.ok(written < 64 * MiB, `${written} bytes were taken while the peer read nothing`);
      const counted = (async () => {
        let n = 0;
        for await (const c of server.readable) n += c.byteLength;
        return n;
      })();
      await within(5000, "the stalled write", stalled);
      written += chunk.byteLength;
      await conn.closeWrite();
      assert.equal(await within(5000, "server read", counted), written);
    },
  );

  check(
    "half-close: the server reads EOF and still replies, then the client reads EOF",
    async (track) => {
      let serverClosed: Promise<Error | undefined> | undefined;
      const { listener } = await serve(adapter, (conn) => {
        serverClosed = (async () => {
          const got = decoder.decode(await readAll(conn));
          await conn.write(encoder.encode(`pong after EOF: ${got}`));
          await conn.closeWrite();
          return await conn.closed;
        })();
      });
      track(listener);
      const conn = track(await adapter.connect({ host: HOST, port: listener.address.port }));
      await conn.write(encoder.encode("ping"));
      await conn.closeWrite();
      await conn.closeWrite(); // a second half-close is a no-op
      await assert.rejects(conn.write(encoder.encode("late")), isCode("CONN_CLOSED"));
      assert.equal(
        decoder.decode(await within(2000, "reply", readAll(conn))),
        "pong after EOF: ping",
      );
      assert.equal(await within(2000, "client closed", conn.closed), undefined);
      assert.equal(
        await within(
          2000,
          "server closed",
          serverClosed ?? Promise.reject(new Error("no connection was accepted")),
        ),
        undefined,
      );
    },
  );

  check(
    "peer reset mid-stream: the read ends or throws, closed settles, later writes reject CONN_CLOSED",
    async (track) => {
      const { listener, accepted } = await serve(adapter, async (conn) => {
        await conn.write(pattern(256 * KiB));
        let got = 0;
        for await (const chunk of conn.readable) {
          got += chunk.byteLength;
          if (got >= 512 * KiB) break; // unread bytes stay queued: the close resets
        }
        conn.close(new Error("boom"));
      });
      track(listener);
      const conn = track(await adapter.connect({ host: HOST, port: listener.address.port }));
      const server = track(await accepted());
      const chunk = pattern(64 * KiB);
      const writer = (async () => {
        try {
          for (;;) await conn.write(chunk);
        } catch (e) {
          return e;
        }
      })();
      let received = 0;
      const readError = await within(
        5000,
        "reader",
        (async () => {
          try {
            for await (const c of conn.readable) received += c.byteLength;
          } catch (e) {
            return e;
          }
        })(),
      );
      assert.ok(received <= 256 * KiB, `read ${received} bytes, more than were sent`);
      if (readError !== undefined) {
        assert.ok(
          isCode("CONN_RESET")(readError) || isCode("CONN_CLOSED")(readError),
          String(readError),
        );
      }
      assert.ok(isCode("CONN_CLOSED")(await within(5000, "writer", writer)));
      const closedWith = await within(5000, "client closed", conn.closed);
      assert.ok(isCode("CONN_RESET")(closedWith), `closed with ${closedWith}`);
      await assert.rejects(conn.write(new Uint8Array(1)), isCode("CONN_CLOSED"));
      const serverError = await within(2000, "server closed", server.closed);
      assert.ok(isCode("CONN_CLOSED")(serverError), `server closed with ${serverError}`);
      assert.equal((serverError?.cause as Error | undefined)?.message, "boom");
    },
  );

  check(
    "a reader that stops early still sees the peer's end: closed settles after both half-closes",
    async (track) => {
      const { listener, accepted } = await serve(adapter);
      track(listener);
      const conn = track(await adapter.connect({ host: HOST, port: listener.address.port }));
      const server = track(await accepted());
      // More than the socket buffers hold, so a paused reader would stall it.
      const sent = server.write(pattern(4 * MiB)).then(() => server.closeWrite());
      for await (const chunk of conn.readable) {
        assert.ok(chunk.byteLength > 0);
        break; // stop reading after the first chunk
      }
      await conn.closeWrite();
      await within(5000, "the server's writes", sent);
      assert.equal(await within(2000, "client closed", conn.closed), undefined);
      const rest = await within(2000, "server reads EOF", readAll(server));
      assert.equal(rest.byteLength, 0);
      assert.equal(await within(2000, "server closed", server.closed), undefined);
    },
  );

  check("close is safe twice, closed settles once, and the first reason wins", async (track) => {
    const { listener, accepted } = await serve(adapter);
    track(listener);
    const conn = track(await adapter.connect({ host: HOST, port: listener.address.port }));
    const server = track(await accepted());
    let settled = 0;
    conn.closed.then(() => settled++);
    conn.close();
    conn.close();
    assert.equal(await within(2000, "closed", conn.closed), undefined);
    conn.close();
    await conn.closeWrite();
    await assert.rejects(conn.write(new Uint8Array(1)), isCode("CONN_CLOSED"));
    assert.equal((await within(2000, "server EOF", readAll(server))).byteLength, 0);
    assert.equal(settled, 1);

    const other = track(await adapter.connect({ host: HOST, port: listener.address.port }));
    track(await accepted());
    other.close(new Error("first"));
    other.close(new Error("second"));
    const error = await within(2000, "closed", other.closed);
    assert.ok(isCode("CONN_CLOSED")(error), `closed with ${error}`);
    assert.equal((error?.cause as Error | undefined)?.message, "first");
  });

  check("connect to a closed port rejects with CONN_REFUSED", async () => {
    const listener = await adapter.listen({ host: HOST, port: 0 }, (conn) => conn.close());
    const port = listener.address.port;
    await listener.close();
    await assert.rejects(adapter.connect({ host: HOST, port }), (e: unknown) => {
      assert.ok(isCode("CONN_REFUSED")(e), String(e));
      assert.equal((e as Error).message, `Cannot connect to ${HOST}:${port}: connection refused`);
      return true;
    });
  });

  check("fills in the bound and remote addresses", async (track) => {
    const { listener, accepted } = await serve(adapter);
    track(listener);
    assert.equal(listener.address.host, HOST);
    assert.ok(listener.address.port > 0);
    const conn = track(await adapter.connect({ host: HOST, port: listener.address.port }));
    const server = track(await accepted());
    assert.deepEqual(conn.remote, { host: HOST, port: listener.address.port });
    assert.equal(server.remote.host, HOST);
    assert.ok(server.remote.port > 0 && server.remote.port !== listener.address.port);
  });

  check("closing the listener stops accepting and leaves open connections alone", async (track) => {
    const { listener } = await serve(adapter, echo);
    const port = listener.address.port;
    const conn = track(await adapter.connect({ host: HOST, port }));
    await listener.close();
    await listener.close();
    await conn.write(encoder.encode("still here"));
    await conn.closeWrite();
    assert.equal(decoder.decode(await within(2000, "echo", readAll(conn))), "still here");
    await assert.rejects(adapter.connect({ host: HOST, port }), isCode("CONN_REFUSED"));
  });

  check("connect with an aborted signal rejects with the signal's reason", async () => {
    const reason = new Error("not now");
    await assert.rejects(
      adapter.connect({ host: HOST, port: 9, signal: AbortSignal.abort(reason) }),
      (e: unknown) => e === reason,
    );
  });
});
