/**
 * A client's run, from the start to its last file, as a thin driver over the
 * {@link ClientEngine}: it reads every connection and hands the engine what
 * arrived, verifies every byte, and carries out the engine's effects (send a
 * request or a `lost`, join a cache, close a connection). What to fetch from
 * where, and what a lost or rejoined cache means, the engine decides. The
 * bytes under way are live/incoming_files.ts's, the connections
 * live/client_sources.ts's.
 *
 * @module
 */

import type { Address } from "../net/types.ts";
import type { Clock } from "../core/run/clock.ts";
import type { Logger } from "../core/run/log.ts";
import { ORIGIN_SOURCE, type Source } from "../core/policies/policy.ts";
import type { Catalogue } from "../core/files/catalogue.ts";
import type { FileCheck } from "../core/files/file_check.ts";
import type { FileSink } from "../core/files/file_sink.ts";
import type {
  ClientEffect,
  ClientEngine,
  ClientInput,
  JoinEffect,
  RequestEffect,
  StartPlace,
} from "../engine/client.ts";
import type { EngineEvent } from "../protocol/role_event.ts";
import { ForesightError } from "../errors.ts";
import type { Message, RefuseMessage, RejoinMessage } from "../protocol/mod.ts";
import type { Peer } from "./peer.ts";
import type { ClientSummary } from "./client.ts";
import { IncomingFiles, type Transfer } from "./incoming_files.ts";
import { ClientSources } from "./client_sources.ts";
import { WrongCopies } from "./wrong_copies.ts";
import type { JoinedCache } from "./client_places.ts";

/** What {@link fetchAll} works with. */
export interface FetchOptions {
  /** The client's engine, not started yet (plans already handed in). */
  readonly engine: ClientEngine;
  /** Every file's name, size and digest. */
  readonly catalogue: Catalogue;
  /** Makes the check of file `id` as it arrives (`header`: the digest its header carried). */
  readonly check: (id: number, header?: string) => FileCheck;
  /** Where verified files go (none: dropped once verified). */
  readonly sink?: FileSink;
  /** Files of the list already in the sink, verified, and left out of the list sent. */
  readonly skipped?: number;
  /** Counters to advance: the engine's, and the bytes. */
  readonly summary: ClientSummary;
  /** The connection to each source (the origin and every cache reached); kept up to date. */
  readonly sources: Map<Source, Peer>;
  readonly clock: Clock;
  readonly log: Logger;
  /** Connects to a cache and joins it as this client. */
  join(address: Address): Promise<JoinedCache>;
  /** The messages of each cache joined before the start. */
  readonly cacheMsgs: ReadonlyMap<Source, AsyncGenerator<Message>>;
  readonly originMsgs: AsyncGenerator<Message>;
  /** Every cache place as found at the start (default: each joined, generation 0). */
  readonly places?: readonly StartPlace[];
  /** `rejoin`s that came before the start, in order: handled at the start. */
  readonly rejoins?: readonly RejoinMessage[];
  /** Receives what the engine reports. */
  readonly report?: (event: EngineEvent) => void;
}

/**
 * Fetches every file of the client's list. `finished` resolves when the last
 * has arrived (rejects when the run cannot go on), `stopped` when the origin
 * then says stop (rejects when its connection ends without a stop).
 *
 * @param o the engine (not started), the connections and their messages, and what was found before the start
 * @throws never; failures reject `finished` (and `stopped`)
 * @example
 * ```ts
 * const { finished, stopped } = fetchAll({ engine, catalogue, check, summary, sources, clock, log, join, cacheMsgs, originMsgs });
 * await finished;
 * ```
 */
export function fetchAll(o: FetchOptions): { finished: Promise<void>; stopped: Promise<void> } {
  const fetch = new ClientFetch(o);
  fetch.start();
  return { finished: fetch.finished, stopped: fetch.stopped };
}

/** The run from the start to the last file (see {@link fetchAll}). */
class ClientFetch {
  /** Resolves when the last file is in; rejects when the run cannot go on. */
  readonly finished: Promise<void>;
  /** Resolves when the origin says stop; rejects when its connection ends without one. */
  readonly stopped: Promise<void>;
  readonly #o: FetchOptions;
  readonly #incoming: IncomingFiles;
  readonly #sources: ClientSources;
  /** Files whose copy came wrong, asked of the origin again. */
  readonly #wrong: WrongCopies;
  /** The engine has every file (some may still be asked again). */
  #engineDone = false;
  #finishResolve!: () => void;
  #finishReject!: (e: Error) => void;
  #stopResolve!: () => void;
  #stopReject!: (e: Error) => void;

  constructor(o: FetchOptions) {
    this.#o = o;
    this.#incoming = new IncomingFiles(o);
    this.#wrong = new WrongCopies({
      ask: (file) =>
        void this.#sources.serving(ORIGIN_SOURCE)?.send({ type: "request", file, again: true })
          .catch(this.#originWriteFailed),
      name: (id) => o.catalogue.name(id),
      log: o.log,
    });
    this.#sources = new ClientSources(o.sources);
    this.finished = new Promise<void>((res, rej) => (
      (this.#finishResolve = res), (this.#finishReject = rej)
    ));
    this.stopped = new Promise<void>((res, rej) => (
      (this.#stopResolve = res), (this.#stopReject = rej)
    ));
    this.stopped.catch(() => {}); // awaited only once every file is in
  }

  /** Reads every connection, hands the engine the rejoins that came early, and starts it. */
  start(): void {
    const { places, cacheMsgs } = this.#o;
    const sources = this.#sources;
    for (const p of places ?? []) {
      if (p.state === "joined") sources.setGeneration(p.cache, p.generation);
    }
    for (const [src, msgs] of cacheMsgs) {
      if (sources.generation(src) === undefined) sources.setGeneration(src, 0);
      void this.#readLoop(src, sources.serving(src)!, msgs);
    }
    void this.#readLoop(ORIGIN_SOURCE, sources.serving(ORIGIN_SOURCE)!, this.#o.originMsgs);
    try {
      for (const m of this.#o.rejoins ?? []) this.#feed(rejoinInput(m));
      this.#feed({ type: "started", places });
    } catch (e) {
      this.#finishReject(e as Error);
    }
  }

  /** Hands the engine `input` now and carries out its effects; throws what the engine throws. */
  #feed(input: ClientInput): void {
    const { engine, summary, clock } = this.#o;
    const effects = engine.handle(input, clock.now());
    Object.assign(summary, engine.counters);
    this.#count();
    for (const fx of effects) this.#carryOut(fx);
  }

  /**
   * The summary's counters: the engine's, plus the files skipped (already
   * verified in the sink), a wrong copy replaced counted verified, not
   * corrupt, and a refused one failed, not corrupt.
   */
  #count(): void {
    const { summary, engine } = this.#o;
    const skipped = this.#o.skipped ?? 0;
    const c = engine.counters;
    summary.files = c.files + skipped;
    const { refetched, failed } = this.#wrong;
    summary.verified = c.verified + skipped + refetched;
    summary.corrupt = c.corrupt - refetched - failed;
    summary.skipped = skipped;
    summary.refetched = refetched;
    summary.failed = failed;
    if (this.#wrong.error !== undefined) summary.error ??= this.#wrong.error;
  }

  /** Every file is in (or failed) and nothing is asked again any more: the run is over for this client. */
  #finishIfDone(): void {
    if (this.#engineDone && !this.#wrong.pending) this.#finishResolve();
  }

  /** The origin refused a file asked again: it is failed (not corrupt). */
  #refused(m: RefuseMessage): void {
    this.#wrong.refused(m);
    this.#count();
    this.#finishIfDone();
  }

  /** `#feed` where nothing else would catch: a failure ends the run. */
  #feedOrFail(input: ClientInput): void {
    try {
      this.#feed(input);
    } catch (e) {
      this.#finishReject(e as Error);
    }
  }

  /**
   * A write to the origin failed: the run is over for this client. The read
   * side may still hold the origin's reason (an `error` sent before it closed,
   * e.g. its idle limit while this process was stopped); that one wins when it
   * is read within a moment.
   */
  readonly #originWriteFailed = (e: Error): void => {
    setTimeout(() => this.#finishReject(e), 500);
  };

  /** Carries out one effect of the engine. */
  #carryOut(fx: ClientEffect): void {
    switch (fx.kind) {
      case "log":
        return this.#o.log.log(fx.level, fx.message, fx.fields);
      case "report":
        return this.#o.report?.(fx.event);
      case "request":
        return this.#request(fx);
      case "tellLost":
        // This client cannot reach that cache: the origin then serves its files.
        this.#sources.serving(ORIGIN_SOURCE)?.send({
          type: "lost",
          cache: fx.cache,
          generation: fx.generation,
        }).catch(this.#originWriteFailed);
        return;
      case "join":
        return this.#join(fx);
      case "adopt": {
        const { peer, msgs } = this.#sources.adopt(fx.cache, fx.generation);
        return void this.#readLoop(fx.cache, peer, msgs);
      }
      case "drop":
        if (this.#sources.drop(fx.source, fx.generation)) this.#incoming.discard(fx.source);
        return;
      case "finished":
        this.#engineDone = true;
        return this.#finishIfDone();
    }
  }

  /** Sends a request; a cache that cannot be written to is lost, like one that cannot be read. */
  #request(fx: RequestEffect): void {
    const peer = this.#sources.serving(fx.source);
    if (!peer) {
      throw new ForesightError(
        "INTERNAL",
        `Cannot fetch file ${fx.file}: no connection to source ${fx.source}`,
      );
    }
    const generation = this.#sources.generation(fx.source);
    peer.send({ type: "request", file: fx.file, at: fx.at }).catch(
      fx.source === ORIGIN_SOURCE ? this.#originWriteFailed : (e: Error) => {
        if (this.#sources.serving(fx.source) !== peer) return;
        this.#feedOrFail({ type: "sourceLost", source: fx.source, reason: e.message, generation });
      },
    );
  }

  /** Joins a cache that came back, then tells the engine how it went. */
  #join(fx: JoinEffect): void {
    const { cache, generation } = fx;
    this.#o.join({ host: fx.host, port: fx.port }).then((conn) => {
      this.#sources.hold(cache, generation, conn);
      this.#feedOrFail({ type: "joined", cache, generation });
    }, (e) => this.#feedOrFail({ type: "joinFailed", cache, generation, reason: e.message }));
  }

  /**
   * Ends the transfer from `source`: its bytes are all in. A verified file is
   * kept; a wrong one is dropped and asked of the origin again.
   */
  async #complete(source: Source, t: Transfer): Promise<void> {
    const ok = await this.#incoming.finish(source, t);
    if (ok === undefined) return;
    if (t.again) {
      this.#wrong.came(t.file, ok);
      this.#count();
      return this.#finishIfDone();
    }
    if (!ok) this.#wrong.came(t.file, false, false);
    this.#feed({ type: "fileEnded", source, file: t.file, ok });
  }

  /** Hands the engine what `source` sent; throws for what it must not send. */
  async #onMessage(source: Source, m: Message): Promise<void> {
    switch (m.type) {
      case "file":
      case "hit": {
        if (m.type === "file" && m.again) {
          if (source !== ORIGIN_SOURCE || !this.#wrong.asked(m.file)) {
            throw new ForesightError("PROTOCOL", `Cannot take file ${m.file} again: not asked`);
          }
          const t = this.#incoming.begin(source, m.file, m.size, m.sha256, true);
          if (m.size === 0) await this.#complete(source, t);
          return;
        }
        this.#feed({
          type: "fileBegan",
          source,
          file: m.file,
          size: m.size,
          kind: m.type,
          due: m.due,
        });
        const t = this.#incoming.begin(source, m.file, m.size, m.sha256);
        if (m.size === 0) await this.#complete(source, t);
        return;
      }
      case "chunk": {
        const t = this.#incoming.add(source, m);
        await this.#incoming.write(t, m.data);
        if (t.received === t.size && this.#incoming.current(source) === t) {
          await this.#complete(source, t);
        }
        return;
      }
      case "refuse":
        if (source !== ORIGIN_SOURCE) {
          throw new ForesightError("PROTOCOL", `Cannot take "refuse" from cache ${source}`);
        }
        return this.#refused(m);
      case "miss":
        return this.#feed({ type: "missed", source, file: m.file });
      case "rejoin":
        if (source !== ORIGIN_SOURCE) {
          throw new ForesightError("PROTOCOL", `Cannot take "rejoin" from cache ${source}`);
        }
        return this.#feed(rejoinInput(m));
      case "stop":
        if (source !== ORIGIN_SOURCE) {
          throw new ForesightError("PROTOCOL", `Cannot take "stop" from cache ${source}`);
        }
        this.#feed({ type: "stop", reason: m.reason });
        return this.#stopResolve();
      case "error":
        // The peer closed this connection, saying why (e.g. it heard nothing
        // from this client for its idle limit while this process was stopped).
        throw new ForesightError(
          m.code === "TIMEOUT" ? "TIMEOUT" : "PROTOCOL",
          `Cannot go on: ${
            source === ORIGIN_SOURCE ? "the origin" : `cache ${source}`
          } closed the connection (${m.code}): ${m.message}`,
        );
      default:
        throw new ForesightError("PROTOCOL", `Cannot handle "${m.type}" during the run`);
    }
  }

  /** Reads `peer` while it serves `source`; a cache that breaks or misbehaves is lost. */
  async #readLoop(source: Source, peer: Peer, msgs: AsyncGenerator<Message>): Promise<void> {
    const { engine } = this.#o;
    const sources = this.#sources;
    const generation = sources.generation(source);
    try {
      for await (const m of msgs) {
        if (sources.serving(source) !== peer) return; // dropped: what it still sends is moot
        await this.#onMessage(source, m);
      }
      if (!engine.finished) {
        throw new ForesightError(
          "CONN_CLOSED",
          `Cannot finish: source ${source} closed the connection`,
        );
      }
      // Every file is in; the stop came (then this does nothing) or never will.
      if (source === ORIGIN_SOURCE) {
        this.#stopReject(
          new ForesightError(
            "CONN_CLOSED",
            "Cannot end: the origin closed the connection before saying stop",
          ),
        );
      }
    } catch (e) {
      if (source === ORIGIN_SOURCE) {
        this.#finishReject(e as Error);
        this.#stopReject(e as Error);
      } else if (!engine.finished && sources.serving(source) === peer) {
        this.#feedOrFail({ type: "sourceLost", source, reason: (e as Error).message, generation });
      }
    }
  }
}

/** The engine's input for a `rejoin` from the origin. */
function rejoinInput(m: RejoinMessage): ClientInput {
  return {
    type: "rejoin",
    cache: m.cache,
    generation: m.generation,
    host: m.host,
    port: m.port,
    files: m.files,
  };
}
