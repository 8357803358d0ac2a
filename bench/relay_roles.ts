/**
 * The three processes of the relay benchmark (source → relay → sink), in two
 * modes:
 *
 * - `bare`: raw bytes. The source writes 64 KiB buffers, the relay writes
 *   every read to the next connection, the sink counts bytes.
 * - `foresight`: the protocol path. The source sends files as the origin does
 *   (`Peer.sendFile`: a `file` header, then 64 KiB `chunk` frames; no pacer);
 *   the relay decodes with the `FrameDecoder` and `decodeMessage` inside `Peer.messages`,
 *   stores chunks into a `FileBuffer` of `PagePool` pages and forwards each
 *   file with `Peer.sendFile` reading that buffer while it fills
 *   (cut-through), as the cache does; the sink decodes and checks every byte
 *   with `FileSource.verify`, as the client does.
 *
 * The relay holds at most `capacity` bytes of files (a cache's capacity): a
 * file header that would pass it waits for earlier files to be forwarded,
 * which stops reading from the source (TCP backpressure).
 *
 * `chunkBytes` (default 64 KiB) sets the bare source's writes, the chunk
 * payload of both senders and the relay's page size: what the benchmark's
 * `--chunk-bytes` sweeps.
 *
 * @module
 */

import type { Address, Conn, NetAdapter } from "../net/types.ts";
import { Peer } from "../live/peer.ts";
import { fileParts } from "../live/file_parts.ts";
import { silentLogger } from "../core/run/log.ts";
import { FileBuffer } from "../core/cache/file_buffer.ts";
import { PagePool } from "../core/cache/page_pool.ts";
import { FileSource } from "../core/files/virtual_files.ts";
import { ForesightError } from "../errors.ts";

/** The two things measured. */
export type Mode = "bare" | "foresight";

/** Bytes per write of the bare source (and per chunk of the protocol path), unless told otherwise. */
export const BLOCK_BYTES = 65_536;
/** Seed of the virtual files' content. */
const SEED = 7;

/**
 * The files a run sends: ids whose sizes (file n is n KiB) are 3 to 5 MiB,
 * until at least `bytes` are planned.
 *
 * @example `planFiles(2 ** 30).length; // about 256`
 */
export function planFiles(bytes: number): { ids: number[]; total: number } {
  const ids: number[] = [];
  let total = 0;
  for (let i = 0; total < bytes; i++) {
    const id = 3072 + (i * 389) % 2048;
    ids.push(id);
    total += id * 1024;
  }
  return { ids, total };
}

/** What a role reports. */
export interface RoleResult {
  role: "source" | "relay" | "sink";
  mode: Mode;
  /** Payload bytes seen (sink: received; source: sent). */
  bytes: number;
  /** Sink: seconds from the first byte in to the last. */
  seconds?: number;
  /** Sink (foresight): files complete, files that failed verification. */
  files?: number;
  corrupt?: number;
  /** Relay: pages its pool allocated. */
  pages?: number;
}

/** Reads `conn` to EOF, discarding. */
async function drain(conn: Conn): Promise<void> {
  for await (const _ of conn.readable) { /* discard */ }
}

/** Accepts one connection on `listen`, then stops listening. */
async function acceptOne(
  adapter: NetAdapter,
  onReady: (address: Address) => void,
): Promise<Conn> {
  let got!: (c: Conn) => void;
  const conn = new Promise<Conn>((r) => (got = r));
  const listener = await adapter.listen({ host: "127.0.0.1", port: 0 }, (c) => got(c));
  onReady(listener.address);
  const c = await conn;
  await listener.close();
  return c;
}

/**
 * The source: connects to `to` and sends `bytes` (rounded up to whole files).
 *
 * @throws {ForesightError} when the connection breaks
 */
export async function runSource(
  adapter: NetAdapter,
  mode: Mode,
  to: Address,
  bytes: number,
  chunkBytes: number = BLOCK_BYTES,
): Promise<RoleResult> {
  const { ids, total } = planFiles(bytes);
  const conn = await adapter.connect(to);
  if (mode === "bare") {
    const block = new Uint8Array(chunkBytes).fill(0x5a);
    for (let sent = 0; sent < total;) {
      const n = Math.min(chunkBytes, total - sent);
      await conn.write(n === chunkBytes ? block : block.subarray(0, n));
      sent += n;
    }
  } else {
    const files = new FileSource({ seed: SEED });
    const peer = new Peer(conn, { log: silentLogger, chunkBytes });
    for (const id of ids) {
      const size = files.size(id);
      await peer.sendFile(
        { type: "file", file: id, size, count: 1, next: null },
        fileParts(files, id),
      );
    }
  }
  await conn.closeWrite();
  await drain(conn);
  conn.close();
  return { role: "source", mode, bytes: total };
}

/** Forwards raw reads. */
async function relayBare(up: Conn, down: Conn): Promise<number> {
  let bytes = 0;
  for await (const chunk of up.readable) {
    bytes += chunk.length;
    await down.write(chunk);
  }
  return bytes;
}

/** Stores files into page buffers and forwards them cut-through, as the cache does. */
async function relayForesight(
  up: Conn,
  down: Conn,
  capacity: number,
  pages: PagePool,
): Promise<number> {
  const origin = new Peer(up, { log: silentLogger });
  const client = new Peer(down, { log: silentLogger, chunkBytes: pages.pageBytes });
  const sending = new Set<Promise<void>>();
  let held = 0;
  let failure: unknown;
  let current: { file: number; buffer: FileBuffer } | undefined;
  let bytes = 0;
  for await (const msg of origin.messages()) {
    if (msg.type === "file") {
      if (current) {
        throw new ForesightError(
          "PROTOCOL",
          `Cannot start file ${msg.file}: file ${current.file} is incomplete`,
        );
      }
      while (held + msg.size > capacity && sending.size > 0) await Promise.race(sending);
      if (failure !== undefined) throw failure;
      const buffer = new FileBuffer(msg.size, pages);
      const size = msg.size;
      held += size;
      const forward: Promise<void> = client
        .sendFile({ type: "hit", file: msg.file, size }, buffer.read())
        .then(() => {}, (e) => void (failure ??= e))
        .finally(() => {
          buffer.release();
          held -= size;
          sending.delete(forward);
        });
      sending.add(forward);
      current = size === 0 ? undefined : { file: msg.file, buffer };
    } else if (msg.type === "chunk") {
      if (!current || current.file !== msg.file) {
        throw new ForesightError(
          "PROTOCOL",
          `Cannot store a chunk of file ${msg.file}: no such file is arriving`,
        );
      }
      current.buffer.append(msg.data);
      bytes += msg.data.length;
      if (current.buffer.complete) current = undefined;
    } else {
      throw new ForesightError("PROTOCOL", `Cannot relay "${msg.type}": not expected`);
    }
  }
  await Promise.all(sending);
  if (failure !== undefined) throw failure;
  return bytes;
}

/**
 * The relay: connects to the sink at `to`, listens, relays the first
 * connection it accepts, then ends both connections.
 *
 * @param onReady called with the relay's listening address
 */
export async function runRelay(
  adapter: NetAdapter,
  mode: Mode,
  to: Address,
  capacity: number,
  onReady: (address: Address) => void,
  chunkBytes: number = BLOCK_BYTES,
): Promise<RoleResult> {
  const down = await adapter.connect(to);
  const up = await acceptOne(adapter, onReady);
  const pages = new PagePool(chunkBytes);
  const bytes = mode === "bare"
    ? await relayBare(up, down)
    : await relayForesight(up, down, capacity, pages);
  await down.closeWrite();
  await drain(down);
  down.close();
  await up.closeWrite();
  up.close();
  return { role: "relay", mode, bytes, pages: pages.allocated };
}

/**
 * The sink: accepts one connection and counts (bare) or decodes and verifies
 * (foresight) everything until EOF.
 *
 * @param onReady called with the sink's listening address
 * @throws {ForesightError} CORRUPT for a header whose size is not the file's
 */
export async function runSink(
  adapter: NetAdapter,
  mode: Mode,
  onReady: (address: Address) => void,
): Promise<RoleResult> {
  const conn = await acceptOne(adapter, onReady);
  let first = 0;
  let bytes = 0;
  let filesDone = 0;
  let corrupt = 0;
  if (mode === "bare") {
    for await (const chunk of conn.readable) {
      if (bytes === 0) first = performance.now();
      bytes += chunk.length;
    }
  } else {
    const files = new FileSource({ seed: SEED });
    const peer = new Peer(conn, { log: silentLogger });
    let t: { file: number; size: number; received: number; ok: boolean } | undefined;
    for await (const m of peer.messages()) {
      if (first === 0) first = performance.now();
      if (m.type === "hit" || m.type === "file") {
        if (m.size !== files.size(m.file)) {
          throw new ForesightError(
            "CORRUPT",
            `Cannot accept file ${m.file}: size ${m.size}, expected ${files.size(m.file)}`,
          );
        }
        t = { file: m.file, size: m.size, received: 0, ok: true };
      } else if (m.type === "chunk") {
        if (!t || t.file !== m.file || t.received + m.data.length > t.size) {
          throw new ForesightError("PROTOCOL", `Cannot accept a chunk of file ${m.file}`);
        }
        if (t.ok && !files.verify(m.file, t.received, m.data)) t.ok = false;
        t.received += m.data.length;
        bytes += m.data.length;
        if (t.received === t.size) {
          filesDone++;
          if (!t.ok) corrupt++;
          t = undefined;
        }
      } else {
        throw new ForesightError("PROTOCOL", `Cannot accept "${m.type}": not expected`);
      }
    }
  }
  const seconds = (performance.now() - first) / 1000;
  await conn.closeWrite();
  conn.close();
  return mode === "bare"
    ? { role: "sink", mode, bytes, seconds }
    : { role: "sink", mode, bytes, seconds, files: filesDone, corrupt };
}
