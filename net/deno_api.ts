/**
 * The few Deno APIs the Deno adapter touches, declared here so that `tsc`
 * type-checks it with only `@types/node` installed. Types only.
 *
 * @module
 */

/** The part of `Deno.TcpConn` the adapter uses. */
export interface DenoTcpConn {
  /** The peer's address. */
  readonly remoteAddr: { readonly hostname: string; readonly port: number };
  /** Reads into `buffer`; `null` at EOF. */
  read(buffer: Uint8Array): Promise<number | null>;
  /** Writes a prefix of `bytes`; resolves to its length. */
  write(bytes: Uint8Array): Promise<number>;
  /** Sends FIN. */
  closeWrite(): Promise<void>;
  /** Releases the socket; pending reads reject. */
  close(): void;
  /** Turns Nagle's algorithm off (or on). */
  setNoDelay(noDelay?: boolean): void;
}

/** The part of `Deno.TcpListener` the adapter uses. */
export interface DenoTcpListener {
  /** The bound address. */
  readonly addr: { readonly hostname: string; readonly port: number };
  /** Resolves to the next connection; rejects once closed. */
  accept(): Promise<DenoTcpConn>;
  /** Stops listening. */
  close(): void;
}

/** The part of the `Deno` namespace the adapter uses. */
export interface DenoNet {
  /** Opens a TCP connection. */
  connect(options: { hostname: string; port: number; signal?: AbortSignal }): Promise<DenoTcpConn>;
  /** Binds a TCP listener. */
  listen(options: { hostname: string; port: number; transport: "tcp" }): DenoTcpListener;
}
