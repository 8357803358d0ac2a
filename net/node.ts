/**
 * The socket adapter for Node, over `node:net`.
 *
 * @module
 */
import * as net from "node:net";
import { ByteQueue } from "./byte_queue.ts";
import { connectWithin } from "./connect_deadline.ts";
import { ReadRing } from "./read_ring.ts";
import { closedError, formatAddress, socketError } from "./socket_error.ts";
import type { Address, Conn, ConnectOptions, Listener, NetAdapter } from "./types.ts";

/**
 * A connected socket reads into a ring of 2 MiB (128 KiB per read) and pauses
 * at 256 KiB unread: room for those, the lent bytes and two reads (see
 * ReadRing). Accepted sockets cannot: `net.Server` has no `onread`.
 */
const RING_BYTES = 2 * 1_048_576;
const READ_BYTES = 131_072;
const RING_UNREAD = 262_144;

/** One `net.Socket` behind the {@link Conn} contract. */
class NodeConn implements Conn {
  readonly remote: Address;
  readonly readable: ByteQueue;
  readonly closed: Promise<Error | undefined>;
  readonly #socket: net.Socket;
  readonly #where: string;
  #error: Error | undefined;
  #writeEnded = false;
  #closing = false;

  /** @param queue where `onread` puts what it reads; none: the socket's own buffers, via `data` */
  constructor(socket: net.Socket, queue?: ByteQueue) {
    this.#socket = socket;
    this.remote = { host: socket.remoteAddress ?? "", port: socket.remotePort ?? 0 };
    this.#where = formatAddress(this.remote);
    socket.setNoDelay(true);
    const q = this.readable = queue ??
      new ByteQueue({ pause: () => socket.pause(), resume: () => socket.resume() });
    if (queue === undefined) {
      socket.on("data", (b: Buffer) => q.push(new Uint8Array(b.buffer, b.byteOffset, b.length)));
    }
    socket.on("end", () => q.end());
    socket.on(
      "error",
      (e) => this.#error ??= socketError(e, `use the connection to ${this.#where}`, "CONN_CLOSED"),
    );
    this.closed = new Promise((resolve) => {
      socket.once("close", () => {
        this.#writeEnded = true;
        q.end(this.#error);
        resolve(this.#error);
      });
    });
  }

  write(bytes: Uint8Array): Promise<void> {
    return this.writev([bytes]);
  }

  writev(parts: readonly Uint8Array[]): Promise<void> {
    const action = `write to ${this.#where}`;
    if (this.#writeEnded || this.#socket.destroyed) {
      return Promise.reject(closedError(action, this.#error));
    }
    const last = parts.length - 1;
    if (last < 0) return Promise.resolve();
    // The callback runs once libuv has handed every byte to the kernel, i.e.
    // never before the 'drain' a `false` return asks for; then `parts` are free.
    // Corked, the parts leave in one `writev` (a failed one fails every callback).
    return new Promise((resolve, reject) => {
      const socket = this.#socket;
      if (last > 0) socket.cork();
      for (let i = 0; i < last; i++) socket.write(parts[i]!);
      socket.write(parts[last]!, (e) => {
        if (!e) return resolve();
        // Destroyed by close(): no cause beyond the close reason, if any.
        const cause = this.#closing ? undefined : socketError(e, action, "CONN_CLOSED");
        reject(closedError(action, this.#error ?? cause));
      });
      if (last > 0) socket.uncork();
    });
  }

  async closeWrite(): Promise<void> {
    if (this.#writeEnded || this.#socket.destroyed) return;
    this.#writeEnded = true;
    const finished = new Promise<void>((resolve) => this.#socket.end(() => resolve()));
    await Promise.race([finished, this.closed]);
  }

  close(reason?: Error): void {
    if (this.#closing) return;
    this.#closing = true;
    if (reason === undefined) {
      this.#socket.destroy();
      return;
    }
    this.#error ??= closedError(`use the connection to ${this.#where}`, reason);
    this.#socket.resetAndDestroy();
  }
}

/** Connects over `node:net` with a half-open socket (the contract is in `NetAdapter`). */
function connect(options: ConnectOptions): Promise<Conn> {
  return connectWithin(options, (signal) =>
    new Promise((resolve, reject) => {
      const ring = new ReadRing(RING_BYTES, READ_BYTES);
      const queue = new ByteQueue({
        highWaterMark: RING_UNREAD,
        pause: () => socket.pause(),
        resume: () => socket.resume(),
      });
      const socket = net.connect({
        host: options.host,
        port: options.port,
        allowHalfOpen: true,
        onread: {
          buffer: () => ring.region(queue.bufferedBytes),
          callback: (n, buffer) => {
            queue.push(ring.commit(buffer, n));
            return true; // the queue pauses the socket itself
          },
        },
      });
      signal.addEventListener("abort", () => socket.destroy(), { once: true });
      socket.once("error", reject);
      socket.once("connect", () => {
        socket.off("error", reject);
        resolve(new NodeConn(socket, queue));
      });
    }));
}

/** Listens with a `net.Server` that keeps half-open connections. */
async function listen(address: Address, onConnection: (conn: Conn) => void): Promise<Listener> {
  const server = net.createServer({ allowHalfOpen: true }, (s) => onConnection(new NodeConn(s)));
  await new Promise<void>((resolve, reject) => {
    server.once(
      "error",
      (e) => reject(socketError(e, `listen on ${formatAddress(address)}`, "CONFIG")),
    );
    server.listen(address.port, address.host, () => resolve());
  });
  server.on("error", () => {}); // accept errors after listening are transient
  const bound = server.address() as net.AddressInfo;
  let open = true;
  return {
    address: { host: bound.address, port: bound.port },
    close: () => {
      if (open) server.close(); // its callback would wait for every connection
      open = false;
      return Promise.resolve();
    },
  };
}

/**
 * The {@link NetAdapter} for Node: `node:net` sockets with `allowHalfOpen`,
 * Nagle off, connected sockets reading into a ring of lent buffers, and
 * writes that resolve once the kernel has every byte.
 *
 * @example
 * ```ts
 * import { nodeAdapter } from "./net/node.ts";
 * const conn = await nodeAdapter.connect({ host: "127.0.0.1", port: 9000 });
 * await conn.write(new TextEncoder().encode("hello"));
 * await conn.closeWrite();
 * for await (const chunk of conn.readable) console.log(chunk);
 * ```
 */
export const nodeAdapter: NetAdapter = { runtime: "node", connect, listen };
