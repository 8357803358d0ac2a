/**
 * The live cache carries out its engine's effects: asks the origin for
 * refills, streams hits from the files' buffers (cut-through, paced), sends
 * misses, frees evicted files' bytes, reports and logs. Nothing here decides.
 *
 * @module
 */

import type { CacheEffect, CacheInput, CacheRequested } from "../engine/cache.ts";
import type { CacheState } from "./cache_state.ts";

/**
 * Feeds `input` to the engine at the clock's time and carries out the
 * effects. Resolves once the echo of the origin's start, if any, is sent.
 *
 * @throws {ForesightError} synchronously, what the engine throws on bad input
 * @example
 * ```ts
 * void drive(st, { type: "connClosed", conn: 3 });
 * ```
 */
export function drive(st: CacheState, input: CacheInput): Promise<void> {
  // A closed connection's held requests go with it.
  if (input.type === "connClosed") st.gate.drop(input.conn);
  const started = carry(st, st.engine.handle(input, st.clock.now()));
  releaseHeld(st);
  return started;
}

/**
 * A client's request: to the engine now, or held until the cache has seen
 * what comes before it in the model (live/request_gate.ts).
 *
 * @throws {ForesightError} synchronously, what the engine throws on bad input
 * @example
 * ```ts
 * request(st, { type: "requested", conn: 3, client: 1, file: 42, at: 1_000 });
 * ```
 */
export function request(st: CacheState, input: CacheRequested): void {
  if (st.gate.admit(input)) void drive(st, input);
}

/**
 * Hands the engine the held requests that may go now (after anything the
 * gate waits for: a push began, a refill was declined).
 *
 * @example
 * ```ts
 * st.gate.declined(7);
 * releaseHeld(st);
 * ```
 */
export function releaseHeld(st: CacheState): void {
  for (const r of st.gate.release()) void drive(st, r);
}

/**
 * Carries out `effects` in order. Resolves once the echo of the origin's
 * start, if any, is sent (its failure ends the cache); refill requests and
 * client answers are sent without waiting.
 *
 * @example
 * ```ts
 * await carry(st, st.engine.handle(input, st.clock.now()));
 * ```
 */
export function carry(st: CacheState, effects: readonly CacheEffect[]): Promise<void> {
  let started: Promise<void> | undefined;
  for (const e of effects) {
    switch (e.kind) {
      case "report":
        st.onEvent?.(e.event);
        break;
      case "log":
        st.log.log(e.level, e.message, e.fields);
        break;
      case "toOrigin": {
        const sent = st.origin!.send(e.message);
        if (e.message.type === "start") started = sent;
        else {
          st.gate.refillAsked(e.message.file, e.message.at ?? st.clock.now());
          sent.catch(() => {});
        }
        break;
      }
      case "hit":
        streamHit(st, e.conn, e.file, e.at).catch((err) => st.conns.get(e.conn)?.close(err));
        break;
      case "miss": {
        const peer = st.conns.get(e.conn);
        peer?.send({ type: "miss", file: e.file, next: null }).catch((err) => {
          peer.close(err as Error);
          void drive(st, { type: "connClosed", conn: e.conn });
        });
        break;
      }
      case "evict":
        st.buffers.get(e.file)?.release();
        st.buffers.delete(e.file);
        st.pushEnds.delete(e.file);
        st.digests.delete(e.file);
        st.summary.evicted++;
        break;
    }
  }
  return started ?? Promise.resolve();
}

/** Streams `file` on connection `conn` (while it may still arrive), then tells the engine. */
async function streamHit(
  st: CacheState,
  conn: number,
  file: number,
  at: number | undefined,
): Promise<void> {
  const peer = st.conns.get(conn);
  const buffer = st.buffers.get(file)!;
  /** When the transfer was due to end on the shaped link. */
  let due: number | undefined;
  try {
    if (peer === undefined || peer.isClosed) {
      // Gone before the hit could start: its other requests are dropped.
      void drive(st, { type: "connClosed", conn });
      return;
    }
    // A file still arriving cannot be forwarded faster than it comes.
    const sha256 = st.digests.get(file);
    due = await peer.sendFile(
      { type: "hit", file, size: buffer.size, ...(sha256 === undefined ? {} : { sha256 }) },
      buffer.read(),
      at,
      st.pushEnds.get(file),
    );
    st.summary.bytesToClients += buffer.size;
  } catch (e) {
    peer?.close(e as Error);
    void drive(st, { type: "connClosed", conn });
  } finally {
    void drive(st, { type: "served", conn, file, due });
  }
}
