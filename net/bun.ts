/**
 * The socket adapter for Bun, over `Bun.connect` and `Bun.listen`.
 *
 * @module
 */
import type { BunHandlers, BunNet, BunSocket, BunTcpListener } from "./bun_api.ts";
import { ByteQueue } from "./byte_queue.ts";
import { connectWithin } from "./connect_deadline.ts";
import { gather, GATHER_BYTES } from "./gather.ts";
import { closedError, formatAddress, socketError } from "./socket_error.ts";
import type { Address, Conn, ConnectOptions, Listener, NetAdapter } from "./types.ts";

/** Only what `bun_api.ts` lists; at run time this is Bun's own global. */
declare const Bun: BunNet;

/** A write waiting for the kernel: `bytes` left to send, or the `parts` of a writev not yet gathered. */
type PendingWrite = {
  bytes: Uint8Array;
  parts: readonly Uint8Array[] | undefined;
  resolve: () => void;
  reject: (error: Error) => void;
};

/**
 * Bun gives every `data` event a fresh buffer (it cannot read into ours, so
 * chunks are the reader's to keep), and JavaScriptCore frees them only when
 * it sweeps after a full collection, which under a steady stream comes about
 * once a second: a Bun cache taking 80 MB/s (scale 40) held 50–90 MiB of them
 * and peaked at 150 MiB (bench/memory.ts). So the process collects once
 * {@link COLLECT_BYTES} have arrived (on all its connections), at most every
 * {@link COLLECT_MS}: that bounds what waits to be freed to 16 MiB up to
 * 160 MB/s (a cache's intake at scale 80) and to a tenth of a second's worth
 * above. A full collection costs a few ms of CPU (about 1 CPU-s per canonical
 * run for a cache, 266 collections); copying into a ring of our own instead
 * did not help, as Bun's buffers are freed at the same late sweep.
 */
const COLLECT_BYTES = 16 * 1_048_576;
const COLLECT_MS = 100;
const EMPTY = new Uint8Array(0);
let uncollected = 0;
let collectedAt = 0;

function arrived(bytes: number): void {
  uncollected += bytes;
  if (uncollected < COLLECT_BYTES) return;
  const now = performance.now();
  if (now - collectedAt < COLLECT_MS) return;
  uncollected = 0;
  collectedAt = now;
  Bun.gc(true);
}

/** One Bun socket behind the {@link Conn} contract. */
class BunConn implements Conn {
  readonly remote: Address;
  readonly readable: ByteQueue;
  readonly closed: Promise<Error | undefined>;
  readonly #socket: BunSocket<BunConn>;
  readonly #where: string;
  readonly #writes: PendingWrite[] = [];
  /** Where {@link writev} gathers its parts (see net/gather.ts), once it has to. */
  #arena: Uint8Array | undefined;
  readonly #gatherInto = () => this.#arena ??= new Uint8Array(GATHER_BYTES);
  #settle: (error: Error | undefined) => void = () => {};
  #shut: (() => void) | undefined;
  #error: Error | undefined;
  #writeEnded = false;
  #closing = false;

  constructor(socket: BunSocket<BunConn>) {
    this.#socket = socket;
    this.remote = { host: socket.remoteAddress, port: socket.remotePort };
    this.#where = formatAddress(this.remote);
    socket.setNoDelay(true);
    this.readable = new ByteQueue({ pause: () => socket.pause(), resume: () => socket.resume() });
    this.closed = new Promise((resolve) => this.#settle = resolve);
  }

  write(bytes: Uint8Array): Promise<void> {
    return this.#queue(bytes, undefined);
  }

  writev(parts: readonly Uint8Array[]): Promise<void> {
    if (parts.length === 1) return this.#queue(parts[0]!, undefined);
    return this.#queue(EMPTY, parts);
  }

  #queue(bytes: Uint8Array, parts: readonly Uint8Array[] | undefined): Promise<void> {
    if (this.#writeEnded || this.#closing) {
      return Promise.reject(closedError(`write to ${this.#where}`, this.#error));
    }
    return new Promise((resolve, reject) => {
      this.#writes.push({ bytes, parts, resolve, reject });
      if (this.#writes.length === 1) this.flush();
    });
  }

  closeWrite(): Promise<void> {
    if (this.#writeEnded || this.#closing) return Promise.resolve();
    this.#writeEnded = true;
    return new Promise((resolve) => {
      this.#shut = resolve;
      if (this.#writes.length === 0) this.flush();
    });
  }

  close(reason?: Error): void {
    if (this.#closing) return;
    this.#closing = true;
    if (reason === undefined) {
      this.#socket.end();
    } else {
      this.#error ??= closedError(`use the connection to ${this.#where}`, reason);
      this.#socket.terminate();
    }
  }

  /** Writes what is pending; `write` returns the bytes taken, the rest waits for `drain`. */
  flush(): void {
    for (let w = this.#writes[0]; w !== undefined; w = this.#writes[0]) {
      if (w.parts !== undefined) {
        // Gathered only at the head of the queue: the write before is done with the arena.
        w.bytes = gather(w.parts, this.#gatherInto);
        w.parts = undefined;
      }
      const taken = this.#socket.write(w.bytes);
      if (taken < 0) return; // closed: the close handler rejects what is pending
      if (taken < w.bytes.length) {
        w.bytes = w.bytes.subarray(taken);
        return;
      }
      this.#writes.shift();
      w.resolve();
    }
    const shut = this.#shut;
    if (shut === undefined) return;
    this.#shut = undefined;
    this.#socket.shutdown(); // no argument: FIN, reading goes on
    shut();
  }

  /** Handles Bun's `close` event: the connection is gone, in both directions. */
  onClose(error?: Error): void {
    this.#closing = this.#writeEnded = true;
    if (error !== undefined) {
      this.#error ??= socketError(error, `use the connection to ${this.#where}`, "CONN_CLOSED");
    }
    this.readable.end(this.#error);
    for (const w of this.#writes.splice(0)) {
      w.reject(closedError(`write to ${this.#where}`, this.#error));
    }
    this.#shut?.();
    this.#settle(this.#error);
  }
}

/** Handlers that route each event to the socket's {@link BunConn}. */
function handlers(onOpen?: (conn: BunConn) => void): BunHandlers<BunConn> {
  return {
    binaryType: "uint8array",
    open(socket) {
      const conn = socket.data = new BunConn(socket);
      // A microtask, so that what `onOpen` throws is uncaught, as on Node.
      if (onOpen !== undefined) queueMicrotask(() => onOpen(conn));
    },
    data: (socket, bytes) => {
      socket.data?.readable.push(bytes);
      arrived(bytes.length);
    },
    drain: (socket) => socket.data?.flush(),
    end: (socket) => socket.data?.readable.end(),
    close: (socket, error) => socket.data?.onClose(error),
    error: (socket, error) => socket.data?.close(error),
    connectError: () => {}, // Bun.connect rejects with the same error
  };
}

/** Connects with `Bun.connect` and a half-open socket (the contract is in `NetAdapter`). */
function connect(options: ConnectOptions): Promise<Conn> {
  return connectWithin(options, async () => {
    const { host: hostname, port } = options;
    const socket = await Bun.connect({ hostname, port, allowHalfOpen: true, socket: handlers() });
    return socket.data ?? (socket.data = new BunConn(socket));
  });
}

/** Listens with `Bun.listen`, keeping half-open connections. */
function listen(address: Address, onConnection: (conn: Conn) => void): Promise<Listener> {
  const { host: hostname, port } = address;
  let server: BunTcpListener;
  try {
    server = Bun.listen({ hostname, port, allowHalfOpen: true, socket: handlers(onConnection) });
  } catch (e) {
    return Promise.reject(socketError(e, `listen on ${formatAddress(address)}`, "CONFIG"));
  }
  let open = true;
  return Promise.resolve({
    address: { host: server.hostname, port: server.port },
    close: () => {
      if (open) server.stop(); // without `true`: open connections stay
      open = false;
      return Promise.resolve();
    },
  });
}

/**
 * The {@link NetAdapter} for Bun: `Bun.connect`/`Bun.listen` with half-open
 * sockets and Nagle off; pushed data is queued and the socket paused past
 * 1 MiB unread, and collected every 16 MiB (at most every 100 ms); a
 * write's leftover is finished from the `drain` handler; a `writev`'s parts
 * are gathered into one buffer (see net/gather.ts).
 *
 * @example
 * ```ts
 * import { bunAdapter } from "./net/bun.ts";
 * const conn = await bunAdapter.connect({ host: "127.0.0.1", port: 9000 });
 * await conn.write(new TextEncoder().encode("hello"));
 * await conn.closeWrite();
 * for await (const chunk of conn.readable) console.log(chunk);
 * ```
 */
export const bunAdapter: NetAdapter = { runtime: "bun", connect, listen };
