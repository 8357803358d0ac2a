/**
 * The socket adapter for Deno, over `Deno.connect` and `Deno.listen`.
 *
 * @module
 */
import { connectWithin } from "./connect_deadline.ts";
import type { DenoNet, DenoTcpConn, DenoTcpListener } from "./deno_api.ts";
import { gather, GATHER_BYTES } from "./gather.ts";
import { ReadRing } from "./read_ring.ts";
import { closedError, formatAddress, socketError } from "./socket_error.ts";
import type { Address, Conn, ConnectOptions, Listener, NetAdapter } from "./types.ts";

/** Only what `deno_api.ts` lists; at run time this is Deno's own global. */
declare const Deno: DenoNet;

/**
 * Each connection reads into a ring of 2 MiB, 256 KiB at a time: room for the
 * lent bytes and two reads (see ReadRing).
 */
const RING_BYTES = 2 * 1_048_576;
const READ_BYTES = 262_144;
/** Accept errors that concern one incoming connection, not the listener. */
const TRANSIENT = new Set(["ECONNABORTED", "ECONNRESET"]);

/** One `Deno.TcpConn` behind the {@link Conn} contract. */
class DenoConn implements Conn {
  readonly remote: Address;
  readonly readable: AsyncIterable<Uint8Array>;
  readonly closed: Promise<Error | undefined>;
  readonly #conn: DenoTcpConn;
  readonly #where: string;
  #settle: (error: Error | undefined) => void = () => {};
  #error: Error | undefined;
  #isClosed = false;
  #readEnded = false;
  #writeEnded = false;
  #writeShut = false;
  #writes: Promise<void> = Promise.resolve();
  /** Where {@link writev} gathers its parts (see net/gather.ts), once it has to. */
  #arena: Uint8Array | undefined;
  readonly #gatherInto = () => this.#arena ??= new Uint8Array(GATHER_BYTES);

  constructor(conn: DenoTcpConn) {
    this.#conn = conn;
    this.remote = { host: conn.remoteAddr.hostname, port: conn.remoteAddr.port };
    this.#where = formatAddress(this.remote);
    conn.setNoDelay(true);
    this.closed = new Promise((resolve) => this.#settle = resolve);
    this.readable = this.#read();
  }

  async *#read(): AsyncGenerator<Uint8Array> {
    const ring = new ReadRing(RING_BYTES, READ_BYTES);
    let reachedEnd = false;
    try {
      while (true) {
        // Pulled: every chunk read so far was handed over, none is unread.
        const region = ring.region();
        const n = await this.#conn.read(region);
        if (n === null) break;
        yield ring.commit(region, n);
      }
      reachedEnd = true;
    } catch (e) {
      reachedEnd = true;
      if (!this.#isClosed) this.#fail(socketError(e, `read from ${this.#where}`, "CONN_CLOSED"));
      if (this.#error !== undefined) throw this.#error;
      return;
    } finally {
      // The reader stopped early: discard the rest, so the end is still seen.
      if (!reachedEnd) void this.#drain(ring);
    }
    this.#readEnded = true;
    this.#closeIfDone();
  }

  /** Reads and drops what is left until the peer's end, then closes if the write side is shut. */
  async #drain(ring: ReadRing): Promise<void> {
    try {
      while (!this.#isClosed && await this.#conn.read(ring.region()) !== null) { /* dropped */ }
    } catch { /* closed meanwhile, or broken: nothing more to read either way */ }
    this.#readEnded = true;
    this.#closeIfDone();
  }

  write(bytes: Uint8Array): Promise<void> {
    return this.writev([bytes]);
  }

  writev(parts: readonly Uint8Array[]): Promise<void> {
    if (this.#writeEnded || this.#isClosed) {
      return Promise.reject(closedError(`write to ${this.#where}`, this.#error));
    }
    // Gathered once the writes before are done, so one arena serves them all.
    const written = this.#writes.then(() => this.#writeAll(gather(parts, this.#gatherInto)));
    this.#writes = written.catch(() => {});
    return written;
  }

  async #writeAll(bytes: Uint8Array): Promise<void> {
    const action = `write to ${this.#where}`;
    try {
      // Deno.Conn#write may take part of the buffer: loop until it took all.
      for (let at = 0; at < bytes.length;) at += await this.#conn.write(bytes.subarray(at));
    } catch (e) {
      if (!this.#isClosed) this.#fail(socketError(e, action, "CONN_CLOSED"));
      throw closedError(action, this.#error);
    }
  }

  async closeWrite(): Promise<void> {
    if (this.#writeEnded || this.#isClosed) return;
    this.#writeEnded = true;
    await this.#writes;
    try {
      await this.#conn.closeWrite();
    } catch (e) {
      if (!this.#isClosed) this.#fail(socketError(e, `end ${this.#where}`, "CONN_CLOSED"));
      return;
    }
    this.#writeShut = true;
    this.#closeIfDone();
  }

  close(reason?: Error): void {
    if (this.#isClosed) return;
    this.#isClosed = true;
    // Deno has no SO_LINGER: an abortive close is a plain close here.
    if (reason !== undefined) {
      this.#error ??= closedError(`use the connection to ${this.#where}`, reason);
    }
    try {
      this.#conn.close();
    } catch { /* already closed by the runtime */ }
    this.#settle(this.#error);
  }

  #closeIfDone(): void {
    if (this.#readEnded && this.#writeShut) this.close();
  }

  #fail(error: Error): void {
    this.#error ??= error;
    this.close();
  }
}

/** Connects with `Deno.connect` (the contract is in `NetAdapter`). */
function connect(options: ConnectOptions): Promise<Conn> {
  return connectWithin(options, async (signal) => {
    const conn = await Deno.connect({ hostname: options.host, port: options.port, signal });
    return new DenoConn(conn);
  });
}

/** Listens with `Deno.listen` and accepts in a background loop. */
function listen(address: Address, onConnection: (conn: Conn) => void): Promise<Listener> {
  let listener: DenoTcpListener;
  try {
    listener = Deno.listen({ hostname: address.host, port: address.port, transport: "tcp" });
  } catch (e) {
    return Promise.reject(socketError(e, `listen on ${formatAddress(address)}`, "CONFIG"));
  }
  let open = true;
  const accepting = (async () => {
    while (open) {
      let conn: DenoTcpConn;
      try {
        conn = await listener.accept();
      } catch (e) {
        if (!open || !TRANSIENT.has(String((e as { code?: unknown }).code))) return;
        continue;
      }
      onConnection(new DenoConn(conn)); // what it throws is uncaught, as on Node
    }
  })();
  return Promise.resolve({
    address: { host: listener.addr.hostname, port: listener.addr.port },
    close: () => {
      if (open) listener.close();
      open = false;
      return accepting; // the socket is only released once the pending accept gave up
    },
  });
}

/**
 * The {@link NetAdapter} for Deno: `Deno.connect`/`Deno.listen`, Nagle off,
 * reads pulled into a ring of lent buffers, writes looped until every byte is taken
 * (a `writev`'s parts gathered into one buffer first, see net/gather.ts).
 *
 * @example
 * ```ts
 * import { denoAdapter } from "./net/deno.ts";
 * const conn = await denoAdapter.connect({ host: "127.0.0.1", port: 9000 });
 * await conn.write(new TextEncoder().encode("hello"));
 * await conn.closeWrite();
 * for await (const chunk of conn.readable) console.log(chunk);
 * ```
 */
export const denoAdapter: NetAdapter = { runtime: "deno", connect, listen };
