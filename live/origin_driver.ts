/**
 * The live origin's driver: a thin layer over the origin engine
 * (engine/origin.ts), which decides everything. It runs each connection's
 * handshake, binds the connection to the place the engine admits it to,
 * hands the engine every message, and carries out what it returns:
 * messages and paced file transfers on the right connection, reports, logs,
 * the stop.
 *
 * @module
 */

import type { Conn } from "../net/types.ts";
import type { Logger } from "../core/log.ts";
import type { Clock } from "../core/clock.ts";
import { Pacer } from "../core/pacer.ts";
import { type Scenario, wireRate } from "../core/scenario.ts";
import { FileSource } from "../core/virtual_files.ts";
import { ForesightError } from "../errors.ts";
import { PROTOCOL_VERSION } from "../protocol/mod.ts";
import type { EngineEvent } from "../protocol/role_event.ts";
import { type InputRecord, recordInputs } from "../engine/input_trace.ts";
import { type OriginEffect, OriginEngine, type OriginInput, type Party } from "../engine/origin.ts";
import { Peer } from "./peer.ts";
import { HANDSHAKE_MS } from "./limits.ts";
import { handshake } from "./handshake.ts";
import { fileParts } from "./file_parts.ts";
import { type Admitted, admitted, joinInput, originInput } from "./origin_input.ts";

/** What an {@link OriginDriver} is built from (see `OriginOptions`). */
export interface OriginDriverOptions {
  readonly scenario: Scenario;
  readonly log: Logger;
  readonly clock: Clock;
  /** Receives what the engine reports. */
  readonly onEvent?: (event: EngineEvent) => void;
  /** Shared secret every cache and client must prove it holds; none = anyone may join. */
  readonly secret?: string;
  /** How long a connection, past its handshake, may bring nothing before it is closed. */
  readonly idleMs?: number;
  /**
   * Receives every input the engine handles, with its time and effects
   * (engine/input_trace.ts; `--trace-inputs`): for comparing a run with its
   * simulation. None (the default) costs nothing.
   */
  readonly traceInputs?: (record: InputRecord) => void;
}

/** A connection bound to a place. */
interface Bound {
  readonly peer: Peer;
  readonly generation: number;
}

/**
 * The origin engine over live connections: serve each connection the
 * listener accepts, and wait for {@link ended}.
 *
 * @example
 * ```ts
 * const driver = new OriginDriver({ scenario, log, clock: realClock });
 * await adapter.listen(address, (conn) => void driver.serveConnection(conn));
 * await driver.ended;
 * await driver.closeAll();
 * const summary = driver.engine.end();
 * ```
 */
export class OriginDriver {
  /** Every decision. */
  readonly engine: OriginEngine;
  /** The bytes of every file. */
  readonly files: FileSource;
  /** Resolves once the engine says stop (every peer has been told). */
  readonly ended: Promise<void>;
  readonly #o: OriginDriverOptions;
  readonly #caches = new Map<number, Bound>();
  readonly #clients = new Map<number, Bound>();
  /** Every connection admitted to a place. */
  readonly #peers = new Set<Peer>();
  #resolveEnd!: () => void;

  /** @param options the scenario, the log, the clock, and the optional reports, secret and idle limit */
  constructor(options: OriginDriverOptions) {
    this.#o = options;
    const files = this.files = new FileSource({ seed: options.scenario.seed });
    this.engine = new OriginEngine(options.scenario, (f) => files.size(f));
    if (options.traceInputs) recordInputs(this.engine, options.traceInputs);
    this.ended = new Promise<void>((r) => (this.#resolveEnd = r));
  }

  /**
   * Hands `input` to the engine and carries out its effects.
   *
   * @param input what happened
   * @param joining the connection a `join` comes from
   * @throws {ForesightError} PROTOCOL when the engine refuses a peer's message
   */
  dispatch(input: OriginInput, joining?: Peer): void {
    for (const effect of this.engine.handle(input, this.#o.clock.now())) {
      this.#carryOut(effect, joining);
    }
  }

  /**
   * Serves one connection: the handshake (a probe is welcomed and closed),
   * the join, then every message, until it closes. A connection that ends
   * before the run does loses its role.
   *
   * @param conn a connection the listener accepted
   * @throws never; a bad peer gets an `error` frame and is closed, the reason logged
   */
  async serveConnection(conn: Conn): Promise<void> {
    const remote = `${conn.remote.host}:${conn.remote.port}`;
    const peer = new Peer(conn, { log: this.#o.log, pacer: undefined, idleMs: this.#o.idleMs });
    let place: Admitted | undefined;
    try {
      const msgs = peer.messages();
      const hello = await handshake(msgs, {
        timeoutMs: HANDSHAKE_MS,
        send: (m) => peer.send(m),
        secret: this.#o.secret,
      });
      if (this.engine.finished) {
        throw new ForesightError("PROTOCOL", "Cannot register: the run is over");
      }
      if (hello.role === "probe") {
        await peer.send({
          type: "welcome",
          v: PROTOCOL_VERSION,
          index: 0,
          scenario: this.#o.scenario,
        });
        peer.close();
        return;
      }
      const effects = this.engine.handle(
        joinInput(hello.role, hello, conn.remote),
        this.#o.clock.now(),
      );
      place = admitted(effects);
      for (const effect of effects) this.#carryOut(effect, peer);
      for await (const msg of msgs) this.dispatch(originInput(place!.who, msg));
      if (!this.engine.finished) {
        throw new ForesightError("CONN_CLOSED", "disconnected before the run ended");
      }
    } catch (e) {
      await this.#connectionLost(peer, remote, e, place);
    } finally {
      peer.close();
    }
  }

  /** Once {@link ended}: waits up to 5 s for every peer to close its side, then closes them all. */
  async closeAll(): Promise<void> {
    await Promise.race([
      Promise.all([...this.#peers].map((p) => p.conn.closed)),
      this.#o.clock.sleep(5000),
    ]);
    for (const p of this.#peers) p.conn.close();
  }

  /** A connection failed or ended early: logged, rejected, and its role (if any) lost. */
  async #connectionLost(
    peer: Peer,
    remote: string,
    e: unknown,
    place: Admitted | undefined,
  ): Promise<void> {
    const err = e instanceof ForesightError
      ? e
      : new ForesightError("INTERNAL", String(e), { cause: e });
    this.#o.log.log("warn", "connection closed", { remote, code: err.code, reason: err.message });
    if (!peer.isClosed) await peer.reject(err);
    // A role lost in any phase: the run goes on without it.
    if (place?.who.role === "cache") {
      const { who: { index }, generation } = place;
      this.dispatch({ type: "cache-lost", cache: index, generation, reason: err.message });
    } else if (place?.who.role === "client") {
      this.dispatch({ type: "client-lost", client: place.who.index, reason: err.message });
    }
  }

  /** The connection bound to `to`'s place, if any. */
  #bound(to: Party): Bound | undefined {
    return (to.role === "cache" ? this.#caches : this.#clients).get(to.index);
  }

  /** Carries out one effect of the engine; `joining` is the connection a `join` comes from. */
  #carryOut(effect: OriginEffect, joining?: Peer): void {
    switch (effect.kind) {
      case "admit":
        return this.#admit(effect, joining!);
      case "send": {
        const b = this.#bound(effect.to);
        if (!b) return;
        const failed = effect.to.role === "cache" || effect.message.type !== "miss"
          ? this.#onWriteFailed(effect.to, b, `Cannot send ${effect.message.type}`)
          : () => {};
        b.peer.send(effect.message).catch(failed);
        return;
      }
      case "transfer":
        return this.#transfer(effect);
      case "stop":
        for (const p of this.#peers) {
          p.send({ type: "stop", reason: effect.reason }).catch(() => {}).finally(() => p.close());
        }
        this.#resolveEnd();
        return;
      case "report":
        this.#o.onEvent?.(effect.event);
        return;
      case "log":
        this.#o.log.log(effect.level, effect.message, effect.fields);
        return;
    }
  }

  /** Binds `peer` to the place the engine admitted it to, paced at its link's rate, kept alive. */
  #admit(effect: Extract<OriginEffect, { kind: "admit" }>, peer: Peer): void {
    const s = this.#o.scenario;
    (effect.role === "cache" ? this.#caches : this.#clients).set(effect.index, {
      peer,
      generation: effect.generation,
    });
    this.#peers.add(peer);
    const rate = effect.role === "cache" ? s.rateOriginCache : s.rateOriginClient;
    peer.setPacer(new Pacer(wireRate(rate, s.scale), this.#o.clock));
    this.#o.log.log("info", `${effect.role} registered`, {
      index: effect.index,
      remote: `${peer.conn.remote.host}:${peer.conn.remote.port}`,
    });
    peer.keepAlive();
  }

  /** Sends a file, paced: a failed push loses the cache; a failed send to a client is logged. */
  #transfer(effect: Extract<OriginEffect, { kind: "transfer" }>): void {
    const b = this.#bound(effect.to);
    if (!b) return;
    const { file, size, count, next } = effect;
    const sent = b.peer.sendFile(
      { type: "file", file, size, count, next },
      fileParts(this.files, file),
      effect.cause,
    );
    if (effect.to.role === "cache") {
      sent.catch(this.#onWriteFailed(effect.to, b, `Cannot push file ${file}`));
    } else {
      sent.catch((e) =>
        this.#o.log.log("warn", "cannot send file to client", {
          client: effect.to.index,
          file,
          reason: (e as Error).message,
        })
      );
    }
  }

  /** A failed write to `to` loses it (only the connection it failed on). */
  #onWriteFailed(to: Party, b: Bound, what: string): (e: unknown) => void {
    return (e) => {
      if (this.#bound(to) !== b) return;
      const reason = `${what}: ${(e as Error).message}`;
      if (to.role === "cache") {
        this.dispatch({ type: "cache-lost", cache: to.index, generation: b.generation, reason });
      } else this.dispatch({ type: "client-lost", client: to.index, reason });
    };
  }
}
