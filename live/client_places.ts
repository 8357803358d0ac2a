/**
 * The cache places as a client finds them before the start: it joins each
 * cache of the origin's `caches` list (connect, `hello`, `welcome`), forgets
 * the places a later list leaves out, and at the start says how it found
 * every place. Joining a cache that comes back mid-run goes through the same
 * {@link ClientPlaces.join}.
 *
 * @module
 */

import type { Address, NetAdapter } from "../net/types.ts";
import type { Clock } from "../core/run/clock.ts";
import type { Logger } from "../core/run/log.ts";
import type { Source } from "../core/policies/policy.ts";
import type { StartPlace } from "../engine/client.ts";
import { type CacheAddress, type Message, PROTOCOL_VERSION } from "../protocol/mod.ts";
import { Peer } from "./peer.ts";
import { JOIN_MS } from "./limits.ts";
import { awaitWelcome } from "./handshake.ts";
import { connectWithRetry } from "./connect.ts";
import type { StallWatch } from "./stall_watch.ts";

/** What {@link ClientPlaces} works with. */
export interface ClientPlacesOptions {
  readonly adapter: NetAdapter;
  readonly log: Logger;
  readonly clock: Clock;
  /** The role's stall watch, for every cache connection. */
  readonly stalls: StallWatch;
  /** This client's index, said in every `hello`. */
  readonly index: number;
  /** How many cache places the scenario has. */
  readonly caches: number;
  /** The connection to each source; the cache places' are kept up to date. */
  readonly sources: Map<Source, Peer>;
  /** Shared secret, proven to the caches. */
  readonly secret?: string;
  /** How long a connection may bring nothing before it is closed (see `ClientOptions`). */
  readonly idleMs?: number;
}

/** A cache joined: its connection and its messages (past the `welcome`). */
export interface JoinedCache {
  readonly peer: Peer;
  readonly msgs: AsyncGenerator<Message>;
}

/**
 * A client's cache places until the start.
 *
 * @example
 * ```ts
 * const places = new ClientPlaces({ adapter, log, clock, stalls, index, caches: 2, sources });
 * await places.learn(cachesMsg.caches);
 * const found = places.atStart(); // [{ cache: 0, generation: 0, state: "joined" }, …]
 * ```
 */
export class ClientPlaces {
  /** The messages of each cache joined. */
  readonly messages: Map<Source, AsyncGenerator<Message>> = new Map();
  readonly #o: ClientPlacesOptions;
  /**
   * Cache places this client has no connection to, and whether the origin
   * must be told (it believes the cache alive): a place the origin left out
   * of the list is lost already; one that cannot be joined is not.
   */
  readonly #unreachable = new Map<Source, boolean>();
  /** The generation of each place's cache as listed. */
  readonly #generations = new Map<Source, number>();

  /** @param options the adapter, the log, the clock, the stall watch, this client, the places and the sources */
  constructor(options: ClientPlacesOptions) {
    this.#o = options;
    for (let k = 0; k < options.caches; k++) this.#unreachable.set(k, false);
  }

  /**
   * Connects to the cache at `address` and joins it as this client.
   *
   * @throws {ForesightError} TIMEOUT when it cannot connect within 10 s, or what the handshake throws
   */
  async join(address: Address): Promise<JoinedCache> {
    const { adapter, log, clock } = this.#o;
    const conn = await connectWithRetry(adapter, address, { log, clock, deadlineMs: 10_000 });
    const peer = new Peer(conn, { log, idleMs: this.#o.idleMs, watch: this.#o.stalls });
    const msgs = peer.messages();
    try {
      const sentAt = this.#o.clock.now();
      await peer.send({
        type: "hello",
        v: PROTOCOL_VERSION,
        role: "client",
        index: this.#o.index,
        runtime: adapter.runtime,
      });
      const welcome = await awaitWelcome(msgs, {
        timeoutMs: JOIN_MS,
        send: (m) => peer.send(m),
        role: "client",
        secret: this.#o.secret,
        clock: this.#o.clock,
        sentAt,
      });
      peer.setClockOffset(welcome.clockOffsetMs);
      peer.keepAlive();
    } catch (e) {
      peer.close();
      throw e;
    }
    return { peer, msgs };
  }

  /**
   * Joins the caches of a `caches` list it has no connection to yet (or a
   * newer cache in a place); a place left out is lost.
   *
   * @throws never; a cache that cannot be joined is logged and counts as unjoinable
   */
  async learn(list: readonly CacheAddress[]): Promise<void> {
    const listed = new Map(list.map((c) => [c.index, c]));
    for (let k = 0; k < this.#o.caches; k++) {
      const c = listed.get(k);
      if (c === undefined) {
        this.#forget(k);
        this.#unreachable.set(k, false);
      } else if (
        !this.#o.sources.has(k) || (this.#generations.get(k) ?? 0) !== (c.generation ?? 0)
      ) {
        this.#generations.set(k, c.generation ?? 0);
        await this.#take(k, { host: c.host, port: c.port });
      }
    }
  }

  /** Every cache place as found now, for the engine's `started`. */
  atStart(): StartPlace[] {
    return Array.from({ length: this.#o.caches }, (_, cache) => {
      const tell = this.#unreachable.get(cache);
      const state = tell === undefined ? "joined" : tell ? "unjoinable" : "absent";
      return { cache, generation: this.#generations.get(cache) ?? 0, state };
    });
  }

  /** Joins the cache in place `k`; one that cannot be joined is lost for this client. */
  async #take(k: Source, address: Address): Promise<void> {
    this.#forget(k);
    try {
      const { peer, msgs } = await this.join(address);
      this.#o.sources.set(k, peer);
      this.messages.set(k, msgs);
      this.#unreachable.delete(k);
    } catch (e) {
      this.#o.log.log("warn", "cannot join a cache; its files will come from the origin", {
        cache: k,
        reason: (e as Error).message,
      });
      this.#unreachable.set(k, true);
    }
  }

  /** Closes and forgets the connection to place `k`, if any. */
  #forget(k: Source): void {
    this.#o.sources.get(k)?.close();
    this.#o.sources.delete(k);
    this.messages.delete(k);
  }
}
