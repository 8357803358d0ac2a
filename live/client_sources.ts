/**
 * A client's connections during the run: the one serving each source (the
 * origin, and each cache place under its cache's generation), and those to
 * caches that came back, joined and waiting for the engine to adopt or drop
 * them. The serving connections are the run's `sources` map, kept up to date.
 *
 * @module
 */

import type { Source } from "../core/policies/policy.ts";
import type { Peer } from "./peer.ts";
import type { JoinedCache } from "./client_places.ts";

/**
 * The connections of a client's sources.
 *
 * @example
 * ```ts
 * const conns = new ClientSources(sources);
 * conns.hold(1, 1, await join(address)); // the engine said `join`
 * const { peer, msgs } = conns.adopt(1, 1); // … then `adopt`: it serves place 1 now
 * ```
 */
export class ClientSources {
  readonly #serving: Map<Source, Peer>;
  /** The generation of each cache connection serving. */
  readonly #generations = new Map<Source, number>();
  /** Connections joined, not adopted or dropped yet (key: "cache/generation"). */
  readonly #joined = new Map<string, JoinedCache>();

  /** @param serving the connection serving each source; kept up to date */
  constructor(serving: Map<Source, Peer>) {
    this.#serving = serving;
  }

  /** The connection serving `source`, if any. */
  serving(source: Source): Peer | undefined {
    return this.#serving.get(source);
  }

  /** The generation of the cache whose connection serves place `source`, if known. */
  generation(source: Source): number | undefined {
    return this.#generations.get(source);
  }

  /** The connection serving place `cache` is that of its cache of `generation`. */
  setGeneration(cache: Source, generation: number): void {
    this.#generations.set(cache, generation);
  }

  /** Holds a connection just joined to the cache of `generation` in place `cache`. */
  hold(cache: Source, generation: number, joined: JoinedCache): void {
    this.#joined.set(`${cache}/${generation}`, joined);
  }

  /**
   * The connection held for `cache` and `generation` serves that place from
   * now (the engine checked it is held).
   */
  adopt(cache: Source, generation: number): JoinedCache {
    const key = `${cache}/${generation}`;
    const conn = this.#joined.get(key)!;
    this.#joined.delete(key);
    this.#serving.set(cache, conn.peer);
    this.#generations.set(cache, generation);
    return conn;
  }

  /**
   * Closes the connection to the cache of `generation` in place `source`: one
   * held, or the serving one (a serving connection of another generation is
   * left alone).
   *
   * @returns whether the serving connection was closed (its partial file is then the caller's to discard)
   */
  drop(source: Source, generation: number): boolean {
    const key = `${source}/${generation}`;
    const joined = this.#joined.get(key);
    if (joined) {
      this.#joined.delete(key);
      joined.peer.close();
      return false;
    }
    if (this.#generations.get(source) !== generation) return false;
    this.#serving.get(source)?.close();
    this.#serving.delete(source);
    this.#generations.delete(source);
    return true;
  }
}
