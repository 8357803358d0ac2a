/**
 * The few Deno and Bun HTTP server APIs the serve adapters touch, declared
 * here so that `tsc` type-checks them with only `@types/node` installed.
 * Types only.
 *
 * @module
 */

/** A fetch-style request handler, as `app.fetch` of a hono app. */
export type FetchHandler = (request: Request) => Response | Promise<Response>;

/** The part of `Deno.HttpServer` the Deno adapter uses. */
export interface DenoHttpServer {
  /** The bound address. */
  readonly addr: { readonly hostname: string; readonly port: number };
  /** Stops accepting, lets in-flight responses finish, then resolves. */
  shutdown(): Promise<void>;
}

/** The part of the `Deno` namespace the Deno adapter uses. */
export interface DenoHttp {
  /** Serves HTTP on `hostname:port`. */
  serve(
    options: {
      hostname: string;
      port: number;
      onListen?: (addr: { hostname: string; port: number }) => void;
    },
    handler: FetchHandler,
  ): DenoHttpServer;
}

/** The part of a Bun `Server` the Bun adapter uses. */
export interface BunHttpServer {
  /** The bound port. */
  readonly port: number;
  /** Stops listening; with `true`, also closes open connections. */
  stop(closeActiveConnections?: boolean): unknown;
}

/** The part of the `Bun` namespace the Bun adapter uses. */
export interface BunHttp {
  /** Serves HTTP on `hostname:port` (`idleTimeout` in seconds, 0 = none). */
  serve(options: {
    hostname: string;
    port: number;
    idleTimeout?: number;
    fetch: FetchHandler;
  }): BunHttpServer;
}
