/**
 * A real TCP proxy for fault tests: listens on 127.0.0.1 (port 0 picks one),
 * forwards each connection to a target, counts the bytes it forwards each
 * way, and can break a connection on purpose (`reset`): once a connection
 * has carried `afterBytes` bytes from the server to the client, it is cut
 * with a TCP RST on both sides. With `midFile`, the cut is made in the middle
 * of a file: the proxy follows the Foresight frames of that direction (a type
 * byte, a u32 big-endian body length) and cuts halfway through the body of a
 * `chunk` that is not its file's first, so the receiver holds part of the
 * file (at least one whole chunk) but not all of it.
 *
 * Runs on Node and Bun (node:net).
 *
 * @module
 */

import { createServer, type Server, Socket } from "node:net";

/** Frame layout (protocol/frame.ts, protocol/messages.ts), kept here so the proxy depends on nothing. */
const HEADER = 5;
const TYPE_FILE = 0x08;
const TYPE_HIT = 0x09;
const TYPE_CHUNK = 0x0b;

/** Options of {@link startProxy}. */
export interface ProxyOptions {
  /** Where connections are forwarded. */
  readonly target: { host: string; port: number };
  /** Cut connections with a RST once enough server→client bytes have passed. */
  readonly reset?: {
    /** Server→client bytes a connection carries before it may be cut. */
    readonly afterBytes: number;
    /** Cut inside a file's second or later chunk (see the module doc). */
    readonly midFile?: boolean;
    /** How many connections to cut at most (default 1). */
    readonly times?: number;
    /** False: cut nothing until {@link TcpProxy.arm} is called (default true). */
    readonly armed?: boolean;
  };
  /**
   * Corrupt files in flight instead: the first payload byte of the first
   * chunk of each of the first `files` files (`file`/`hit`) a connection
   * carries from the server is flipped; counted in {@link TcpProxy.flipped}.
   */
  readonly flip?: { readonly files: number };
  /**
   * Hold files back instead: once a connection has forwarded `files` whole
   * files (`file`/`hit` frames) from the server, nothing more goes to the
   * client from the next file's header on (counted in {@link TcpProxy.held}).
   */
  readonly stall?: { readonly files: number };
}

/** A connection the proxy cut. */
export interface ResetInfo {
  /** Which connection (0 = the first accepted). */
  readonly connection: number;
  /** Server→client bytes forwarded on it before the cut. */
  readonly toClientBytes: number;
  /** The whole frames of files (`file`/`hit` headers) it forwarded before the cut. */
  readonly filesBegun: number;
  /** True when the socket API could send a RST (else it was merely destroyed). */
  readonly rst: boolean;
}

/** A running proxy. */
export interface TcpProxy {
  readonly host: string;
  readonly port: number;
  /** Connections accepted so far. */
  readonly connections: () => number;
  /** Bytes forwarded so far, over every connection. */
  readonly bytes: () => { toServer: number; toClient: number };
  /** Every cut so far. */
  readonly resets: ResetInfo[];
  /** Bytes flipped so far (see {@link ProxyOptions.flip}). */
  readonly flipped: () => number;
  /** Connections holding files back so far (see {@link ProxyOptions.stall}). */
  readonly held: () => number;
  /** Resolves with the first cut. */
  readonly firstReset: Promise<ResetInfo>;
  /** From now on, cut as `reset` says (when it was given `armed: false`). */
  arm(): void;
  /** Stops listening and destroys every connection. */
  close(): Promise<void>;
}

/** Follows the frames of one direction of a Foresight connection. */
class FrameCursor {
  /** Stream offset where the current frame's body ends (its header included before it). */
  #frameEnd = 0;
  #head = new Uint8Array(HEADER);
  #headFill = 0;
  /** Offset of the stream's next byte. */
  offset = 0;
  type = -1;
  /** Offset where the current frame begins, and its body. */
  frameStart = 0;
  bodyStart = 0;
  /** `file`/`hit` headers seen, and the index of the current chunk within its file. */
  filesBegun = 0;
  chunkInFile = 0;
  /** Files whose first chunk's first payload byte is still to be flipped. */
  flipFiles = 0;
  /** Offsets within the last scanned `data` of the bytes to flip. */
  flips: number[] = [];
  /** Offsets within the last scanned `data` where `file`/`hit` frames begin. */
  fileStarts: number[] = [];

  /**
   * Consumes `data`; returns the offset within `data` at which to cut for a
   * mid-file reset at or after stream offset `after`, or -1.
   */
  scan(data: Uint8Array, after: number | undefined): number {
    let at = 0;
    let cut = -1;
    this.flips = [];
    this.fileStarts = [];
    while (at < data.length) {
      if (this.offset < this.#frameEnd) {
        // Inside a body.
        const take = Math.min(this.#frameEnd - this.offset, data.length - at);
        const payload = this.bodyStart + 4; // after the chunk's u32 file id
        if (
          this.flipFiles > 0 && this.type === TYPE_CHUNK && this.chunkInFile === 0 &&
          payload < this.#frameEnd && payload >= this.offset && payload < this.offset + take
        ) {
          this.flips.push(at + (payload - this.offset));
          this.flipFiles--;
        }
        if (
          cut < 0 && after !== undefined && this.type === TYPE_CHUNK && this.chunkInFile >= 1 &&
          this.frameStart >= after
        ) {
          // Halfway through this chunk's body, if that lies in `data`.
          const mid = this.bodyStart + Math.ceil((this.#frameEnd - this.bodyStart) / 2);
          if (mid >= this.offset && mid < this.offset + take) cut = at + (mid - this.offset);
        }
        at += take;
        this.offset += take;
        continue;
      }
      // A header byte.
      if (this.#headFill === 0) this.frameStart = this.offset;
      this.#head[this.#headFill++] = data[at++]!;
      this.offset++;
      if (this.#headFill < HEADER) continue;
      this.#headFill = 0;
      const prev = this.type;
      this.type = this.#head[0]!;
      const len = new DataView(this.#head.buffer).getUint32(1);
      this.bodyStart = this.offset;
      this.#frameEnd = this.offset + len;
      if (this.type === TYPE_FILE || this.type === TYPE_HIT) {
        this.fileStarts.push(at - HEADER);
        this.filesBegun++;
        this.chunkInFile = -1;
      }
      if (this.type === TYPE_CHUNK) {
        this.chunkInFile = prev === TYPE_CHUNK || prev === TYPE_FILE || prev === TYPE_HIT
          ? this.chunkInFile + 1
          : 0;
      }
    }
    return cut;
  }
}

/** Sends a RST where the runtime can (Node ≥ 18.3, Bun), else destroys. */
function rstOf(socket: Socket): boolean {
  const s = socket as Socket & { resetAndDestroy?: () => Socket };
  if (typeof s.resetAndDestroy === "function" && !socket.destroyed) {
    s.resetAndDestroy();
    return true;
  }
  socket.destroy();
  return false;
}

/**
 * Starts a proxy to `options.target` on 127.0.0.1 at a port the system picks.
 *
 * @example
 * ```ts
 * const proxy = await startProxy({ target: { host: "127.0.0.1", port }, reset: { afterBytes: 500_000, midFile: true } });
 * // give clients 127.0.0.1:proxy.port; await proxy.firstReset; await proxy.close();
 * ```
 */
export async function startProxy(options: ProxyOptions): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  const resets: ResetInfo[] = [];
  let resolveFirst!: (r: ResetInfo) => void;
  const firstReset = new Promise<ResetInfo>((r) => (resolveFirst = r));
  let accepted = 0;
  let armed = options.reset?.armed ?? true;
  let cuts = 0; // connections being cut or cut (resets fills in 50 ms later)
  let toServer = 0;
  let toClient = 0;
  let flipped = 0;
  let held = 0;
  const resetTimes = options.reset?.times ?? 1;

  const server: Server = createServer((client) => {
    const id = accepted++;
    const upstream = new Socket();
    sockets.add(client);
    sockets.add(upstream);
    const cursor = new FrameCursor();
    cursor.flipFiles = options.flip?.files ?? 0;
    let down = 0; // server→client bytes on this connection
    let cutting = false;
    let holding = false;
    const gone = () => {
      sockets.delete(client);
      sockets.delete(upstream);
    };
    // Either side closing or failing closes the other (a RST stays a RST).
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
    client.on("close", () => (upstream.destroy(), gone()));
    upstream.on("close", () => (client.destroy(), gone()));
    client.on("end", () => upstream.end());
    upstream.on("end", () => client.end());

    client.on("data", (d: Buffer) => {
      if (cutting) return;
      toServer += d.length;
      if (!upstream.write(d)) {
        client.pause();
        upstream.once("drain", () => client.resume());
      }
    });
    upstream.on("data", (d: Buffer) => {
      if (cutting) return;
      const r = options.reset;
      const may = r !== undefined && armed && cuts < resetTimes;
      let cutAt = -1;
      if (holding) return;
      if (options.stall !== undefined) {
        const before = cursor.filesBegun;
        cursor.scan(d, undefined);
        const k = options.stall.files - before; // the (files+1)-th file begins at fileStarts[k]
        const start = k >= 0 ? cursor.fileStarts[k] : undefined;
        if (start !== undefined) {
          holding = true;
          held++;
          d = d.subarray(0, Math.max(0, start));
        }
      } else if (options.flip !== undefined) {
        cursor.scan(d, undefined);
        if (cursor.flips.length > 0) {
          d = Buffer.from(d); // a copy: the socket's buffer is not ours to change
          for (const i of cursor.flips) d[i] = d[i]! ^ 0xff;
          flipped += cursor.flips.length;
        }
      } else if (r?.midFile) {
        // Followed from the first byte, armed or not, to stay in step with the frames.
        const at = cursor.scan(d, may ? r.afterBytes : undefined);
        if (may) cutAt = at;
      } else if (may && down + d.length >= r.afterBytes) cutAt = Math.max(0, r.afterBytes - down);
      if (cutAt >= 0) {
        cutting = true;
        cuts++;
        upstream.pause();
        const part = d.subarray(0, cutAt);
        down += part.length;
        toClient += part.length;
        const info = { connection: id, toClientBytes: down, filesBegun: cursor.filesBegun };
        // Let the bytes before the cut reach the client, then RST both sides.
        client.write(part, () => {
          setTimeout(() => {
            const rst = rstOf(client);
            rstOf(upstream);
            const done: ResetInfo = { ...info, rst };
            resets.push(done);
            if (resets.length === 1) resolveFirst(done);
          }, 50);
        });
        return;
      }
      down += d.length;
      toClient += d.length;
      if (!client.write(d)) {
        upstream.pause();
        client.once("drain", () => upstream.resume());
      }
    });
    client.pause();
    upstream.connect(options.target.port, options.target.host, () => client.resume());
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const addr = server.address();
  if (addr === null || typeof addr === "string") throw new Error("the proxy has no TCP address");
  return {
    host: "127.0.0.1",
    port: addr.port,
    connections: () => accepted,
    bytes: () => ({ toServer, toClient }),
    resets,
    flipped: () => flipped,
    held: () => held,
    firstReset,
    arm: () => void (armed = true),
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
