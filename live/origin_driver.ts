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
import type { Logger } from "../core/run/log.ts";
import type { Clock } from "../core/run/clock.ts";
import { Pacer, type Shaping } from "../core/links/pacer.ts";
import { LinkMeter } from "../core/links/link_meter.ts";
import { type Scenario, wireRate } from "../core/run/scenario.ts";
import { ForesightError } from "../errors.ts";
import { PROTOCOL_VERSION, type WelcomeMessage } from "../protocol/mod.ts";
import type { EngineEvent } from "../protocol/role_event.ts";
import { type InputRecord, recordInputs } from "../engine/input_trace.ts";
import { type OriginEffect, OriginEngine, type OriginInput, type Party } from "../engine/origin.ts";
import { Peer } from "./peer.ts";
import { type SendTuning, sendTuning } from "./send_tuning.ts";
import { HANDSHAKE_MS, MAX_AGAIN } from "./limits.ts";
import { handshake } from "./handshake.ts";
import type { OriginFiles } from "./origin_files.ts";
import { type Admitted, admitted, joinInput, originInput } from "./origin_input.ts";

/** What an {@link OriginDriver} is built from (see `OriginOptions`). */
export interface OriginDriverOptions {
  readonly scenario: Scenario;
  /** Chunk size and pacer slot of what it sends (default: send_tuning.ts's `SEND_DEFAULTS`). */
  readonly tuning?: Partial<SendTuning>;
  readonly log: Logger;
  readonly clock: Clock;
  /** What is served (its file count is the scenario's). */
  readonly files: OriginFiles;
  /** Receives what the engine reports. */
  readonly onEvent?: (event: EngineEvent) => void;
  /** Shared secret every cache and client must prove it holds; none = anyone may join. */
  readonly secret?: string;
  /** How long a connection, past its handshake, may bring nothing before it is closed. */
  readonly idleMs?: number;
  /** `"none"`: send unpaced, as fast as the network takes it (links shaped outside); default `"pacer"`. */
  readonly shaping?: Shaping;
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
 * const driver = new OriginDriver({ scenario, log, clock: realClock, files });
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
  readonly files: OriginFiles;
  /** Resolves once the engine says stop (every peer has been told). */
  readonly ended: Promise<void>;
  /** Achieved against shaped on the links to the caches and to the clients. */
  readonly meters: { readonly toCaches: LinkMeter; readonly toClients: LinkMeter } = {
    toCaches: new LinkMeter(),
    toClients: new LinkMeter(),
  };
  readonly #o: OriginDriverOptions;
  readonly #tuning: SendTuning;
  readonly #caches = new Map<number, Bound>();
  readonly #clients = new Map<number, Bound>();
  /** Every connection admitted to a place. */
  readonly #peers = new Set<Peer>();
  /** Copies sent again, by client and file (`client:file`): two at most each. */
  readonly #sentAgain = new Map<string, number>();
  #resolveEnd!: () => void;

  /** @param options the scenario, the log, the clock, and the optional reports, secret and idle limit */
  constructor(options: OriginDriverOptions) {
    this.#o = options;
    this.#tuning = sendTuning(options.tuning);
    const files = this.files = options.files;
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
    const peer = new Peer(conn, {
      log: this.#o.log,
      pacer: undefined,
      idleMs: this.#o.idleMs,
      chunkBytes: this.#tuning.chunkBytes,
    });
    let place: Admitted | undefined;
    try {
      const msgs = peer.messages();
      const hello = await handshake(msgs, {
        timeoutMs: HANDSHAKE_MS,
        send: (m) => peer.send(m),
        secret: this.#o.secret,
      });
      const received = this.#o.clock.now();
      if (this.engine.finished) {
        throw new ForesightError("PROTOCOL", "Cannot register: the run is over");
      }
      if (hello.role === "probe") {
        await peer.send({
          type: "welcome",
          v: PROTOCOL_VERSION,
          index: 0,
          scenario: this.#o.scenario,
          received,
          now: this.#o.clock.now(),
        });
        peer.close();
        return;
      }
      const effects = this.engine.handle(
        joinInput(hello.role, hello, conn.remote),
        this.#o.clock.now(),
      );
      place = admitted(effects);
      for (const effect of effects) {
        this.#carryOut(withClock(effect, received, this.#o.clock), peer);
      }
      for await (const msg of msgs) {
        if (msg.type === "request" && msg.again && place!.who.role === "client") {
          this.#again(place!.who.index, peer, msg.file);
        } else this.dispatch(originInput(place!.who, msg));
      }
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
        if (effect.message.type === "welcome") return this.#welcome(b, effect.message);
        const failed = effect.to.role === "cache" || effect.message.type !== "miss"
          ? this.#onWriteFailed(effect.to, b, `Cannot send ${effect.message.type}`)
          : () => {};
        // A declined refill's miss reaches the cache at once in the model: it
        // goes between the chunks of a push under way, not behind it.
        const declined = effect.to.role === "cache" && effect.message.type === "miss";
        (declined ? b.peer.sendBetween(effect.message) : b.peer.send(effect.message)).catch(failed);
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
    if (this.#o.shaping !== "none") {
      const meter = effect.role === "cache" ? this.meters.toCaches : this.meters.toClients;
      const slot = this.#tuning.pacerSlotMs;
      peer.setPacer(
        new Pacer(wireRate(rate, s.scale), this.#o.clock, undefined, undefined, meter, slot),
      );
    }
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
    const sha256 = this.files.digest(file);
    const sent = b.peer.sendFile(
      { type: "file", file, size, count, next, ...(sha256 === undefined ? {} : { sha256 }) },
      this.files.parts(file),
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

  /**
   * A cache's or client's welcome; with a real store, its catalogue follows
   * (before anything else): clients need names and digests, caches the sizes.
   */
  #welcome(b: Bound, welcome: WelcomeMessage): void {
    const failed = () => b.peer.close();
    if (!this.files.real) return void b.peer.send(welcome).catch(failed);
    const catalogue = this.files.catalogue;
    b.peer.send({ ...welcome, catalogue: catalogue.files.length }).catch(failed);
    for (const m of catalogue.messages()) b.peer.send(m).catch(failed);
  }

  /**
   * Client `client` got a wrong copy of `file` and asks again: sent outside
   * the demand ledger (the engine already counted it served), or refused
   * when the file changed on disk since it was listed.
   */
  #again(client: number, peer: Peer, file: number): void {
    const b = this.#clients.get(client);
    const key = `${client}:${file}`;
    const times = (this.#sentAgain.get(key) ?? 0) + 1;
    if (b?.peer !== peer || file > this.files.catalogue.files.length || times > MAX_AGAIN) {
      throw new ForesightError(
        "PROTOCOL",
        `Cannot send file ${file} again to client ${client}${
          times > MAX_AGAIN ? `: sent again ${MAX_AGAIN} times already` : ""
        }`,
      );
    }
    this.#sentAgain.set(key, times);
    const log = (e: unknown) =>
      this.#o.log.log("warn", "cannot send file again", {
        client,
        file,
        reason: (e as Error).message,
      });
    this.#o.log.log("warn", "client asks again for a wrong copy", { client, file });
    this.files.check(file).then(() => {
      const sha256 = this.files.digest(file);
      return peer.sendFile(
        {
          type: "file",
          file,
          size: this.files.size(file),
          count: 0,
          next: null,
          again: true,
          ...(sha256 === undefined ? {} : { sha256 }),
        },
        this.files.parts(file),
      );
    }, (e: unknown) => {
      const err = e as ForesightError;
      return peer.send({
        type: "refuse",
        file,
        code: err.code ?? "INTERNAL",
        message: err.message,
      });
    }).catch(log);
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

/**
 * `effect`, and when it sends a welcome, the welcome with this side's clock:
 * when the joiner's handshake had arrived (`received`) and now, as it goes out.
 */
function withClock(effect: OriginEffect, received: number, clock: Clock): OriginEffect {
  if (effect.kind !== "send" || effect.message.type !== "welcome") return effect;
  return { ...effect, message: { ...effect.message, received, now: clock.now() } };
}
