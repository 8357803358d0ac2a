/**
 * A cache serving one client connection: the handshake, then each request in
 * order — a hit streamed (while the file may still arrive), a miss, or a
 * request parked until the file's push begins or the origin declines it.
 *
 * @module
 */

import type { Conn } from "../net/types.ts";
import { Pacer } from "../core/links/pacer.ts";
import { wireRate } from "../core/run/scenario.ts";
import { ForesightError } from "../errors.ts";
import { PROTOCOL_VERSION } from "../protocol/mod.ts";
import { Peer } from "./peer.ts";
import { HANDSHAKE_MS } from "./limits.ts";
import { handshake } from "./handshake.ts";
import type { CacheState } from "./cache_state.ts";
import { drive, request } from "./cache_effects.ts";

/**
 * Serves one client connection until it closes or the cache stops; clients
 * may connect before the cache is registered and are welcomed once `ready`.
 *
 * @throws never; a bad peer gets an `error` frame and is closed, the reason logged
 * @example
 * ```ts
 * await adapter.listen(address, (conn) => void serveClient(st, conn, secret, ready));
 * ```
 */
export async function serveClient(
  st: CacheState,
  conn: Conn,
  secret: string | undefined,
  ready: Promise<void>,
  idleMs?: number,
): Promise<void> {
  const remote = `${conn.remote.host}:${conn.remote.port}`;
  const peer = new Peer(conn, { log: st.log, idleMs, chunkBytes: st.tuning.chunkBytes });
  /** This connection's id in the engine, once welcomed. */
  let id: number | undefined;
  try {
    const msgs = peer.messages();
    const hello = await handshake(msgs, {
      timeoutMs: HANDSHAKE_MS,
      send: (m) => peer.send(m),
      secret,
    });
    const received = st.clock.now();
    if (hello.role === "cache") {
      throw new ForesightError("PROTOCOL", "Cannot register a cache at a cache");
    }
    await ready;
    if (st.engine.stopped) {
      throw new ForesightError("CONN_CLOSED", "Cannot serve: this cache has stopped");
    }
    const scenario = st.engine.scenario!;
    if (st.shaping !== "none") {
      const rate = wireRate(scenario.rateCacheClient, scenario.scale);
      const slot = st.tuning.pacerSlotMs;
      peer.setPacer(new Pacer(rate, st.clock, undefined, undefined, st.meter, slot));
    }
    await peer.send({
      type: "welcome",
      v: PROTOCOL_VERSION,
      index: st.summary.index,
      scenario,
      received,
      now: st.clock.now(),
    });
    if (hello.role === "probe") {
      peer.close();
      return;
    }
    peer.keepAlive();
    st.peers.add(peer);
    const connId = id = st.nextConn++;
    st.conns.set(connId, peer);
    // A parked request of a client that left must not take a request owed to another.
    void peer.conn.closed.then(() => drive(st, { type: "connClosed", conn: connId }));
    for await (const msg of msgs) {
      if (msg.type !== "request") {
        throw new ForesightError(
          "PROTOCOL",
          `Cannot handle "${msg.type}" from a client: expected "request"`,
        );
      }
      // The engine answers one request at a time per connection, in order;
      // reading goes on meanwhile, so a client that leaves is noticed even
      // while its request is parked.
      request(st, {
        type: "requested",
        conn: connId,
        client: hello.index,
        file: msg.file,
        at: msg.at,
      });
    }
  } catch (e) {
    const err = e instanceof ForesightError
      ? e
      : new ForesightError("INTERNAL", String(e), { cause: e });
    if (!st.engine.stopped) {
      st.log.log("warn", "client connection closed", {
        remote,
        code: err.code,
        reason: err.message,
      });
    }
    if (!peer.isClosed) await peer.reject(err);
  } finally {
    st.peers.delete(peer);
    peer.close();
    if (id !== undefined) {
      st.conns.delete(id);
      void drive(st, { type: "connClosed", conn: id });
    }
  }
}
