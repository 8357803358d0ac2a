/**
 * A cache's connection to the origin: it registers (`hello` → `welcome`, then
 * the engine's `registered`), then follows the origin's messages until it
 * says stop: each push is stored as it arrives (its `file` header, then its
 * chunks), and every other message is handed to the engine, whose effects
 * live/cache_effects.ts carries out.
 *
 * @module
 */

import type { Address, RuntimeName } from "../net/types.ts";
import { FileBuffer } from "../core/cache/file_buffer.ts";
import { type Scenario, wireRate } from "../core/run/scenario.ts";
import { readCatalogue } from "./read_catalogue.ts";
import { Catalogue } from "../core/files/catalogue.ts";
import { parseDemand } from "../core/demand/demand.ts";
import { FileSource } from "../core/files/virtual_files.ts";
import { ForesightError } from "../errors.ts";
import {
  type ChunkMessage,
  type FileMessage,
  type Message,
  PROTOCOL_VERSION,
} from "../protocol/mod.ts";
import type { Peer } from "./peer.ts";
import { JOIN_MS } from "./limits.ts";
import { awaitWelcome } from "./handshake.ts";
import type { CacheState } from "./cache_state.ts";
import { carry, drive, releaseHeld } from "./cache_effects.ts";

/** How a cache introduces itself to the origin. */
export interface CacheHello {
  /** Where clients reach this cache. */
  readonly advertise: Address;
  /** The cache index asked for (default: the origin picks). */
  readonly index?: number;
  readonly runtime: RuntimeName;
  /** The shared secret, proven to the origin. */
  readonly secret?: string;
  /** The run's demand file (every client's list), if the clients bring their own. */
  readonly demand?: { readonly text: string; readonly source: string };
}

/**
 * The origin as one cache sees it: {@link register}, then {@link follow}.
 *
 * @example
 * ```ts
 * const upstream = new CacheUpstream(st, st.origin = new Peer(conn, { log }));
 * try {
 *   await upstream.register({ advertise, runtime: adapter.runtime }, ready);
 *   await upstream.follow();
 * } catch (e) {
 *   upstream.fail(e as Error);
 * }
 * ```
 */
export class CacheUpstream {
  readonly #st: CacheState;
  readonly #origin: Peer;
  readonly #msgs: AsyncGenerator<Message>;
  /** The run's scenario, once registered. */
  #scenario: Scenario | undefined;
  /** The push whose chunks are arriving, if any. */
  #arriving: { file: number; buffer: FileBuffer } | undefined;

  /**
   * @param st the cache's state
   * @param origin the connection to the origin (not read yet)
   */
  constructor(st: CacheState, origin: Peer) {
    this.#st = st;
    this.#origin = origin;
    this.#msgs = origin.messages();
  }

  /**
   * Says `hello`, waits for the `welcome`, and hands the engine its
   * `registered`; `ready` is called once the engine knows the scenario (the
   * clients waiting for their welcome may go on).
   *
   * @param hello what to say in the `hello`
   * @param ready called once the cache can welcome clients
   * @throws {ForesightError} what the handshake throws (AUTH, VERSION, PROTOCOL, TIMEOUT), or a failed send
   */
  async register(hello: CacheHello, ready: () => void): Promise<void> {
    const { summary, engine, clock } = this.#st;
    const origin = this.#origin;
    const sentAt = clock.now();
    await origin.send({
      type: "hello",
      v: PROTOCOL_VERSION,
      role: "cache",
      advertise: hello.advertise,
      index: hello.index,
      runtime: hello.runtime,
    });
    const welcome = await awaitWelcome(this.#msgs, {
      timeoutMs: JOIN_MS,
      send: (m) => origin.send(m),
      role: "cache",
      secret: hello.secret,
      clock,
      sentAt,
    });
    origin.setClockOffset(welcome.clockOffsetMs);
    origin.keepAlive();
    const s = this.#scenario = welcome.scenario;
    summary.index = welcome.index;
    summary.capacityBytes = s.capacityKiB * 1024;
    // A real store's sizes: the cache's policy plans its room with them.
    const catalogue = welcome.catalogue === undefined
      ? undefined
      : await readCatalogue(this.#msgs, welcome.catalogue);
    const { demand } = hello;
    const lists = demand === undefined ? undefined : parseDemand(
      demand.text,
      demand.source,
      catalogue ?? Catalogue.synthetic(new FileSource({ seed: s.seed }), s.files),
    );
    const registered = engine.handle(
      {
        type: "registered",
        index: welcome.index,
        scenario: s,
        port: hello.advertise.port,
        ...(catalogue === undefined ? {} : { size: (f: number) => catalogue.size(f) }),
        ...(lists === undefined ? {} : { lists }),
      },
      clock.now(),
    );
    ready();
    await carry(this.#st, registered);
  }

  /**
   * Follows the origin until it says stop.
   *
   * @throws {ForesightError} PROTOCOL for a message the origin must not send,
   *   CONN_CLOSED when it closes the connection before saying stop, or what reading throws
   */
  async follow(): Promise<void> {
    const st = this.#st;
    for await (const msg of this.#msgs) {
      switch (msg.type) {
        case "file":
          this.#pushBegan(msg);
          break;
        case "chunk":
          this.#chunkArrived(msg);
          break;
        case "miss":
          st.gate.declined(msg.file);
          void drive(st, { type: "declined", file: msg.file, next: msg.next ?? null });
          break;
        case "start":
          await drive(st, { type: "started", next: msg.next });
          break;
        case "release":
          void drive(st, { type: "released", client: msg.client, files: msg.files });
          break;
        case "stop":
          st.log.log("info", "origin says stop", { reason: msg.reason });
          st.gate.open();
          void drive(st, { type: "stopped" });
          return;
        default:
          throw new ForesightError(
            "PROTOCOL",
            `Cannot handle "${msg.type}" from the origin: not expected`,
          );
      }
    }
    throw new ForesightError(
      "CONN_CLOSED",
      "Cannot go on: the origin closed the connection before saying stop",
    );
  }

  /** The cache failed with `e`: the push arriving, if any, fails too (its readers see `e`). */
  fail(e: Error): void {
    this.#arriving?.buffer.fail(e);
  }

  /** A push begins: the engine is told, and the file's buffer is ready for its chunks. */
  #pushBegan(msg: FileMessage): void {
    const st = this.#st;
    if (this.#arriving) {
      throw new ForesightError(
        "PROTOCOL",
        `Cannot start file ${msg.file}: file ${this.#arriving.file} is incomplete`,
      );
    }
    const s = this.#scenario!;
    // The push began on the origin's link when the origin said (its
    // `due` is when it ends); a request it wakes is answered from then.
    const began = msg.due === undefined
      ? st.clock.now()
      : msg.due - msg.size / wireRate(s.rateOriginCache, s.scale) * 1000;
    st.gate.pushBegan(msg.file, msg.due);
    const effects = st.engine.handle(
      {
        type: "pushBegan",
        file: msg.file,
        size: msg.size,
        count: msg.count,
        next: msg.next,
        began,
      },
      st.clock.now(),
    );
    // The bytes' place exists before the effects run: woken requests
    // stream from it, and a push owed to nobody is evicted at once.
    const buffer = new FileBuffer(msg.size, st.pages);
    st.buffers.set(msg.file, buffer);
    if (msg.due !== undefined) st.pushEnds.set(msg.file, msg.due);
    if (msg.sha256 !== undefined) st.digests.set(msg.file, msg.sha256);
    else st.digests.delete(msg.file);
    st.summary.pushedFiles++;
    if (msg.size > 0) this.#arriving = { file: msg.file, buffer };
    void carry(st, effects);
    releaseHeld(st);
  }

  /** A chunk of the push arriving: stored; the last one completes it. */
  #chunkArrived(msg: ChunkMessage): void {
    const arriving = this.#arriving;
    if (!arriving || arriving.file !== msg.file) {
      throw new ForesightError(
        "PROTOCOL",
        `Cannot store a chunk of file ${msg.file}: no such file is arriving`,
      );
    }
    arriving.buffer.append(msg.data);
    this.#st.summary.pushedBytes += msg.data.length;
    if (arriving.buffer.filled === arriving.buffer.size) this.#arriving = undefined;
  }
}
