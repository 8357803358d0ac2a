/**
 * The socket adapter contract. Adapters move bytes and nothing else: no
 * framing, no handshakes, no timers beyond a connect timeout. Everything
 * above this line is runtime-agnostic. Apart from {@link LENT_BYTES}, types only.
 *
 * @module
 */

/** A network endpoint. */
export interface Address {
  /** Host name or IP literal. */
  readonly host: string;
  /** TCP port. */
  readonly port: number;
}

/**
 * How long a chunk of {@link Conn.readable} stays as it was: until at least
 * this many more bytes (1.25 MiB) have been read from its connection. Adapters
 * read into buffers they reuse, so that streaming allocates nothing per read;
 * a reader that holds views of the last bytes it read, such as a frame
 * decoder holding a partial frame of up to 1 MiB + 5 bytes, needs no copy.
 */
export const LENT_BYTES = 1_310_720;

/** One open TCP connection. */
export interface Conn {
  /** The peer's address. */
  readonly remote: Address;
  /**
   * The bytes the peer sends, in order, ending when the peer half-closes (EOF).
   * Iterate it once. Iteration throws a `ForesightError` (`CONN_RESET`,
   * `CONN_CLOSED`) when the connection breaks. Chunks are lent: an adapter
   * may read into the same memory again once {@link LENT_BYTES} more bytes
   * have been read after a chunk, so copy what must outlive that.
   */
  readonly readable: AsyncIterable<Uint8Array>;
  /**
   * Sends every byte of `bytes`; resolves only when the runtime has taken all
   * of them, so awaiting it is the backpressure. Rejects with a
   * `ForesightError` (`CONN_CLOSED`) once the connection is closed or broken.
   * The caller must not reuse `bytes` before the promise settles.
   */
  write(bytes: Uint8Array): Promise<void>;
  /**
   * Sends `parts` in order, as {@link write} would their concatenation (same
   * backpressure, same errors), in as few system calls as the runtime allows:
   * one `writev` on Node; Deno and Bun, which write one buffer at a time,
   * copy the parts into one first. The caller must not reuse any part
   * before the promise settles.
   */
  writev(parts: readonly Uint8Array[]): Promise<void>;
  /** Half-closes: no more writes; the peer's read side sees EOF. */
  closeWrite(): Promise<void>;
  /**
   * Closes both directions at once (an abortive close when `reason` is given).
   * Safe to call more than once.
   */
  close(reason?: Error): void;
  /** Settles when the connection is fully closed: with the error that ended it, if any. */
  readonly closed: Promise<Error | undefined>;
}

/** A listening socket. */
export interface Listener {
  /** The bound address (port resolved when 0 was asked for). */
  readonly address: Address;
  /** Stops accepting. Open connections are left alone. Safe to call twice. */
  close(): Promise<void>;
}

/** Options for {@link NetAdapter.connect}. */
export interface ConnectOptions extends Address {
  /** Aborts the attempt. */
  readonly signal?: AbortSignal;
  /** Gives up after this many milliseconds (default 10 000). */
  readonly timeoutMs?: number;
}

/** The three runtimes Foresight runs on. */
export type RuntimeName = "node" | "deno" | "bun";

/** One runtime's way to open and accept TCP connections. */
export interface NetAdapter {
  /** Which runtime this adapter drives. */
  readonly runtime: RuntimeName;
  /** Opens a connection; rejects with a `ForesightError` (`CONN_REFUSED`, `TIMEOUT`). */
  connect(options: ConnectOptions): Promise<Conn>;
  /** Listens on `address` and hands every accepted connection to `onConnection`. */
  listen(address: Address, onConnection: (conn: Conn) => void): Promise<Listener>;
}
