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

/** What a proxy counts over all its connections. */
interface ProxyCounts {
  readonly sockets: Set<Socket>;
  readonly resets: ResetInfo[];
  resolveFirst: (r: ResetInfo) => void;
  accepted: number;
  armed: boolean;
  /** Connections being cut or cut (`resets` fills in 50 ms later). */
  cuts: number;
  toServer: number;
  toClient: number;
  flipped: number;
  held: number;
}

/** One proxied connection's state. */
interface Proxied {
  readonly id: number;
  readonly cursor: FrameCursor;
  /** Server→client bytes on this connection. */
  down: number;
  cutting: boolean;
  holding: boolean;
}

/**
 * What of the server's bytes `d` goes on to the client (a stall holds the rest
 * back, a flip changes bytes) and where to cut the connection (-1: nowhere).
 */
function downstream(
  d: Buffer,
  c: Proxied,
  options: ProxyOptions,
  n: ProxyCounts,
): { d: Buffer; cutAt: number } {
  const r = options.reset;
  const may = r !== undefined && n.armed && n.cuts < (r.times ?? 1);
  if (options.stall !== undefined) {
    const before = c.cursor.filesBegun;
    c.cursor.scan(d, undefined);
    const k = options.stall.files - before; // the (files+1)-th file begins at fileStarts[k]
    const start = k >= 0 ? c.cursor.fileStarts[k] : undefined;
    if (start !== undefined) {
      c.holding = true;
      n.held++;
      d = d.subarray(0, Math.max(0, start));
    }
  } else if (options.flip !== undefined) {
    c.cursor.scan(d, undefined);
    if (c.cursor.flips.length > 0) {
      d = Buffer.from(d); // a copy: the socket's buffer is not ours to change
      for (const i of c.cursor.flips) d[i] = d[i]! ^ 0xff;
      n.flipped += c.cursor.flips.length;
    }
  } else if (r?.midFile) {
    // Followed from the first byte, armed or not, to stay in step with the frames.
    const at = c.cursor.scan(d, may ? r.afterBytes : undefined);
    if (may) return { d, cutAt: at };
  } else if (may && c.down + d.length >= r.afterBytes) {
    return { d, cutAt: Math.max(0, r.afterBytes - c.down) };
  }
  return { d, cutAt: -1 };
}

/** Sends the client `part`, the bytes before the cut, then resets both sides. */
function cut(client: Socket, upstream: Socket, part: Buffer, c: Proxied, n: ProxyCounts): void {
  c.cutting = true;
  n.cuts++;
  upstream.pause();
  c.down += part.length;
  n.toClient += part.length;
  const info = { connection: c.id, toClientBytes: c.down, filesBegun: c.cursor.filesBegun };
  // Let the bytes before the cut reach the client, then RST both sides.
  client.write(part, () => {
    setTimeout(() => {
      const rst = rstOf(client);
      rstOf(upstream);
      const done: ResetInfo = { ...info, rst };
      n.resets.push(done);
      if (n.resets.length === 1) n.resolveFirst(done);
    }, 50);
  });
}

/** Relays one accepted `client` to the target, both ways, as `options` say. */
function relay(client: Socket, options: ProxyOptions, n: ProxyCounts): void {
  const upstream = new Socket();
  n.sockets.add(client);
  n.sockets.add(upstream);
  const c: Proxied = {
    id: n.accepted++,
    cursor: new FrameCursor(),
    down: 0,
    cutting: false,
    holding: false,
  };
  c.cursor.flipFiles = options.flip?.files ?? 0;
  const gone = () => {
    n.sockets.delete(client);
    n.sockets.delete(upstream);
  };
  // Either side closing or failing closes the other (a RST stays a RST).
  client.on("error", () => upstream.destroy());
  upstream.on("error", () => client.destroy());
  client.on("close", () => (upstream.destroy(), gone()));
  upstream.on("close", () => (client.destroy(), gone()));
  client.on("end", () => upstream.end());
  upstream.on("end", () => client.end());

  client.on("data", (d: Buffer) => {
    if (c.cutting) return;
    n.toServer += d.length;
    if (!upstream.write(d)) {
      client.pause();
      upstream.once("drain", () => client.resume());
    }
  });
  upstream.on("data", (bytes: Buffer) => {
    if (c.cutting || c.holding) return;
    const { d, cutAt } = downstream(bytes, c, options, n);
    if (cutAt >= 0) return cut(client, upstream, d.subarray(0, cutAt), c, n);
    c.down += d.length;
    n.toClient += d.length;
    if (!client.write(d)) {
      upstream.pause();
      client.once("drain", () => upstream.resume());
    }
  });
  client.pause();
  upstream.connect(options.target.port, options.target.host, () => client.resume());
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
  const n: ProxyCounts = {
    sockets: new Set(),
    resets: [],
    resolveFirst: () => {},
    accepted: 0,
    armed: options.reset?.armed ?? true,
    cuts: 0,
    toServer: 0,
    toClient: 0,
    flipped: 0,
    held: 0,
  };
  const firstReset = new Promise<ResetInfo>((r) => (n.resolveFirst = r));
  const server: Server = createServer((client) => relay(client, options, n));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const addr = server.address();
  if (addr === null || typeof addr === "string") throw new Error("the proxy has no TCP address");
  return {
    host: "127.0.0.1",
    port: addr.port,
    connections: () => n.accepted,
    bytes: () => ({ toServer: n.toServer, toClient: n.toClient }),
    resets: n.resets,
    flipped: () => n.flipped,
    held: () => n.held,
    firstReset,
    arm: () => void (n.armed = true),
    close() {
      for (const s of n.sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
