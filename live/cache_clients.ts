/**
 * A cache serving one client connection: the handshake, then each request in
 * order — a hit streamed (while the file may still arrive), a miss, or a
 * request parked until the file's push begins or the origin declines it.
 *
 * @module
 */

import type { Conn } from "../net/types.ts";
import { Pacer } from "../core/pacer.ts";
import { wireRate } from "../core/scenario.ts";
import { ForesightError } from "../errors.ts";
import { PROTOCOL_VERSION } from "../protocol/mod.ts";
import { Peer } from "./peer.ts";
import { HANDSHAKE_MS } from "./limits.ts";
import { handshake } from "./handshake.ts";
import type { CacheState } from "./cache_state.ts";

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
  const peer = new Peer(conn, { log: st.log, idleMs });
  try {
    const msgs = peer.messages();
    const hello = await handshake(msgs, {
      timeoutMs: HANDSHAKE_MS,
      send: (m) => peer.send(m),
      secret,
    });
    if (hello.role === "cache") {
      throw new ForesightError("PROTOCOL", "Cannot register a cache at a cache");
    }
    await ready;
    if (st.stopped) {
      throw new ForesightError("CONN_CLOSED", "Cannot serve: this cache has stopped");
    }
    peer.setPacer(new Pacer(wireRate(st.scenario!.rateCacheClient, st.scenario!.scale), st.clock));
    await peer.send({
      type: "welcome",
      v: PROTOCOL_VERSION,
      index: st.summary.index,
      scenario: st.scenario!,
    });
    if (hello.role === "probe") {
      peer.close();
      return;
    }
    peer.keepAlive();
    st.peers.add(peer);
    let queue: Promise<void> = Promise.resolve();
    for await (const msg of msgs) {
      if (msg.type !== "request") {
        throw new ForesightError(
          "PROTOCOL",
          `Cannot handle "${msg.type}" from a client: expected "request"`,
        );
      }
      if (!Number.isInteger(msg.file) || msg.file > st.scenario!.files) {
        throw new ForesightError(
          "PROTOCOL",
          `Cannot serve file ${msg.file}: ids run from 1 to ${st.scenario!.files}`,
        );
      }
      // One request at a time per client, in order; reading goes on
      // meanwhile, so a client that leaves is noticed even while its
      // request is parked.
      const { file, at } = msg;
      queue = queue.then(() => peer.isClosed ? undefined : serve(st, peer, file, hello.index, at))
        .catch((e) => peer.close(e as Error));
    }
  } catch (e) {
    const err = e instanceof ForesightError
      ? e
      : new ForesightError("INTERNAL", String(e), { cause: e });
    if (!st.stopped) {
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
  }
}

/** Answers one request of `client` (its index, when known) for `file`; `at` is when it was decided. */
async function serve(
  st: CacheState,
  peer: Peer,
  file: number,
  client: number | undefined,
  at: number | undefined,
): Promise<void> {
  const b = st.brain!;
  const outcome = b.request(file, client);
  if (outcome === "hit" && client !== undefined) {
    let got = st.servedTo.get(client);
    if (!got) st.servedTo.set(client, got = new Set());
    got.add(file);
  }
  if (outcome === "wait") {
    // A pull-through miss queues its origin fetch inside request(): ask for it now.
    st.refill();
    // Parked until the push begins or the origin declines, or until this
    // client is gone: a parked request of a client that left must not take
    // a request owed to another.
    await Promise.race([
      new Promise<void>((resolve) => {
        const list = st.waiting.get(file) ?? [];
        list.push(resolve);
        st.waiting.set(file, list);
      }),
      peer.conn.closed,
    ]);
    if (st.stopped || peer.isClosed) return;
    // Answered when the push began (in the model, the header arrives as the
    // push starts; the origin said when that was), never before it was asked.
    const began = st.pushStarts.get(file);
    return serve(st, peer, file, client, Math.max(at ?? 0, began ?? st.clock.now()));
  }
  if (outcome === "miss") {
    await peer.send({ type: "miss", file, next: null });
    return;
  }
  const buffer = st.buffers.get(file)!;
  try {
    await peer.sendFile({ type: "hit", file, size: buffer.size }, buffer.read(), at);
    st.summary.bytesToClients += buffer.size;
  } finally {
    b.served(file);
    st.refill();
  }
}
