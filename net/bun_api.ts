/**
 * The few Bun APIs the Bun adapter touches, declared here so that `tsc`
 * type-checks it with only `@types/node` installed. Types only.
 *
 * @module
 */

/** The part of Bun's TCP `Socket` the adapter uses; `data` is the per-socket context. */
export interface BunSocket<Data> {
  /** Whatever the adapter attached in `open`. */
  data: Data | undefined;
  /** The peer's IP. */
  readonly remoteAddress: string;
  /** The peer's port. */
  readonly remotePort: number;
  /** Writes what the kernel takes now: returns that many bytes, -1 once closed. */
  write(bytes: Uint8Array): number;
  /** With no argument: sends FIN, reading goes on. */
  shutdown(): void;
  /** Closes both directions gracefully. */
  end(): void;
  /** Closes at once, dropping what is unsent. */
  terminate(): void;
  /** Stops the `data` events. */
  pause(): void;
  /** Restarts the `data` events. */
  resume(): void;
  /** Turns Nagle's algorithm off (or on). */
  setNoDelay(noDelay?: boolean): boolean;
}

/** The handlers Bun calls, shared by every socket of one listen or connect. */
export interface BunHandlers<Data> {
  /** Which view `data` receives. */
  binaryType: "uint8array";
  /** A socket is connected. */
  open(socket: BunSocket<Data>): void;
  /** Bytes arrived. */
  data(socket: BunSocket<Data>, bytes: Uint8Array): void;
  /** The kernel takes writes again. */
  drain(socket: BunSocket<Data>): void;
  /** The peer sent FIN. */
  end(socket: BunSocket<Data>): void;
  /** The socket is gone; `error` says why when it broke (ECONNRESET, …). */
  close(socket: BunSocket<Data>, error?: Error): void;
  /** A handler threw. */
  error(socket: BunSocket<Data>, error: Error): void;
  /** The connect failed (`Bun.connect` rejects as well). */
  connectError(socket: BunSocket<Data>, error: Error): void;
}

/** Options of `Bun.connect` and `Bun.listen` the adapter uses. */
export interface BunSocketOptions<Data> {
  /** Host to connect to or bind. */
  hostname: string;
  /** Port; 0 to bind any. */
  port: number;
  /** Keep the write side open after the peer's FIN. */
  allowHalfOpen: true;
  /** The event handlers. */
  socket: BunHandlers<Data>;
}

/** The part of `Bun.listen`'s result the adapter uses. */
export interface BunTcpListener {
  /** The bound host. */
  readonly hostname: string;
  /** The bound port. */
  readonly port: number;
  /** Stops accepting; open sockets stay. */
  stop(): void;
}

/** The part of the `Bun` global the adapter uses. */
export interface BunNet {
  /** Opens a TCP connection. */
  connect<Data>(options: BunSocketOptions<Data>): Promise<BunSocket<Data>>;
  /** Binds a TCP listener. */
  listen<Data>(options: BunSocketOptions<Data>): BunTcpListener;
  /** Runs the garbage collector: at once (`true`), or soon. */
  gc(force: boolean): void;
}
