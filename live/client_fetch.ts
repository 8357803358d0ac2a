/**
 * A client's run, from the start to its last file, as a thin driver over the
 * {@link ClientEngine}: it reads every connection and hands the engine what
 * arrived, verifies every byte, and carries out the engine's effects (send a
 * request or a `lost`, join a cache, close a connection). What to fetch from
 * where, and what a lost or rejoined cache means, the engine decides.
 *
 * @module
 */

import type { Address } from "../net/types.ts";
import type { Clock } from "../core/clock.ts";
import type { Logger } from "../core/log.ts";
import { ORIGIN_SOURCE, type Source } from "../core/policy.ts";
import type { FileSource } from "../core/virtual_files.ts";
import type { ClientEffect, ClientEngine, ClientInput, StartPlace } from "../engine/client.ts";
import type { EngineEvent } from "../protocol/role_event.ts";
import { ForesightError } from "../errors.ts";
import type { Message, RejoinMessage } from "../protocol/mod.ts";
import type { Peer } from "./peer.ts";
import type { ClientSummary } from "./client.ts";

/** What {@link fetchAll} works with. */
export interface FetchOptions {
  /** The client's engine, not started yet (plans already handed in). */
  readonly engine: ClientEngine;
  /** The expected bytes of every file. */
  readonly files: FileSource;
  /** Counters to advance: the engine's, and the bytes. */
  readonly summary: ClientSummary;
  /** The connection to each source (the origin and every cache reached); kept up to date. */
  readonly sources: Map<Source, Peer>;
  readonly clock: Clock;
  readonly log: Logger;
  /** Connects to a cache and joins it as this client. */
  join(address: Address): Promise<{ peer: Peer; msgs: AsyncGenerator<Message> }>;
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

/** The bytes of a file under way from one source. */
interface Transfer {
  readonly file: number;
  readonly size: number;
  received: number;
  ok: boolean;
}

/**
 * Fetches every file of the client's list. `finished` resolves when the last
 * has arrived (rejects when the run cannot go on), `stopped` when the origin
 * then says stop (rejects when its connection ends without a stop).
 *
 * @example
 * ```ts
 * const { finished, stopped } = fetchAll({ engine, files, summary, sources, clock, log, join, cacheMsgs, originMsgs });
 * await finished;
 * ```
 */
export function fetchAll(o: FetchOptions): { finished: Promise<void>; stopped: Promise<void> } {
  const { engine, files, summary, sources, clock, log } = o;
  const inflight = new Map<Source, Transfer>();
  /** The generation of each cache connection in `sources`. */
  const generations = new Map<Source, number>();
  /** Connections joined, waiting for the engine to adopt or drop them (key: "cache/generation"). */
  const joinedConns = new Map<string, { peer: Peer; msgs: AsyncGenerator<Message> }>();
  let finishResolve!: () => void;
  let finishReject!: (e: Error) => void;
  const finished = new Promise<void>((res, rej) => ((finishResolve = res), (finishReject = rej)));
  let stopResolve!: () => void;
  let stopReject!: (e: Error) => void;
  const stopped = new Promise<void>((res, rej) => ((stopResolve = res), (stopReject = rej)));
  stopped.catch(() => {}); // awaited only once every file is in

  /**
   * A write to the origin failed: the run is over for this client. The read
   * side may still hold the origin's reason (an `error` sent before it closed,
   * e.g. its idle limit while this process was stopped); that one wins when it
   * is read within a moment.
   */
  const originWriteFailed = (e: Error) => {
    setTimeout(() => finishReject(e), 500);
  };

  /** Hands the engine `input` now and carries out its effects; throws what the engine throws. */
  const feed = (input: ClientInput) => {
    const effects = engine.handle(input, clock.now());
    Object.assign(summary, engine.counters);
    for (const fx of effects) carryOut(fx);
  };
  /** {@link feed} where nothing else would catch: a failure ends the run. */
  const feedOrFail = (input: ClientInput) => {
    try {
      feed(input);
    } catch (e) {
      finishReject(e as Error);
    }
  };

  const carryOut = (fx: ClientEffect) => {
    switch (fx.kind) {
      case "log":
        return log.log(fx.level, fx.message, fx.fields);
      case "report":
        return o.report?.(fx.event);
      case "request": {
        const peer = sources.get(fx.source);
        if (!peer) {
          throw new ForesightError(
            "INTERNAL",
            `Cannot fetch file ${fx.file}: no connection to source ${fx.source}`,
          );
        }
        const generation = generations.get(fx.source);
        // A cache that cannot be written to is lost, like one that cannot be read.
        peer.send({ type: "request", file: fx.file, at: fx.at }).catch(
          fx.source === ORIGIN_SOURCE ? originWriteFailed : (e: Error) => {
            if (sources.get(fx.source) !== peer) return;
            feedOrFail({ type: "sourceLost", source: fx.source, reason: e.message, generation });
          },
        );
        return;
      }
      case "tellLost":
        // This client cannot reach that cache: the origin then serves its files.
        sources.get(ORIGIN_SOURCE)?.send({
          type: "lost",
          cache: fx.cache,
          generation: fx.generation,
        }).catch(originWriteFailed);
        return;
      case "join": {
        const { cache, generation } = fx;
        o.join({ host: fx.host, port: fx.port }).then((conn) => {
          joinedConns.set(`${cache}/${generation}`, conn);
          feedOrFail({ type: "joined", cache, generation });
        }, (e) => feedOrFail({ type: "joinFailed", cache, generation, reason: e.message }));
        return;
      }
      case "adopt": {
        const key = `${fx.cache}/${fx.generation}`;
        const conn = joinedConns.get(key)!;
        joinedConns.delete(key);
        sources.set(fx.cache, conn.peer);
        generations.set(fx.cache, fx.generation);
        void readLoop(fx.cache, conn.peer, conn.msgs);
        return;
      }
      case "drop": {
        const key = `${fx.source}/${fx.generation}`;
        const joined = joinedConns.get(key);
        if (joined) {
          joinedConns.delete(key);
          return joined.peer.close();
        }
        if (generations.get(fx.source) !== fx.generation) return;
        sources.get(fx.source)?.close();
        sources.delete(fx.source);
        generations.delete(fx.source);
        const t = inflight.get(fx.source);
        if (t) {
          inflight.delete(fx.source);
          summary.bytes -= t.received;
          summary.discardedBytes += t.received;
        }
        return;
      }
      case "finished":
        return finishResolve();
    }
  };

  /** Ends the transfer from `source`: its bytes are all in. */
  const complete = (source: Source, t: Transfer) => {
    inflight.delete(source);
    feed({ type: "fileEnded", source, file: t.file, ok: t.ok });
  };

  const onMessage = (source: Source, m: Message) => {
    switch (m.type) {
      case "file":
      case "hit": {
        feed({ type: "fileBegan", source, file: m.file, size: m.size, kind: m.type, due: m.due });
        const t: Transfer = { file: m.file, size: m.size, received: 0, ok: true };
        inflight.set(source, t);
        if (m.size === 0) complete(source, t);
        return;
      }
      case "chunk": {
        const t = inflight.get(source);
        if (!t || t.file !== m.file) {
          throw new ForesightError(
            "PROTOCOL",
            `Cannot accept a chunk of file ${m.file} from source ${source}: not expected`,
          );
        }
        if (t.received + m.data.length > t.size) {
          throw new ForesightError(
            "PROTOCOL",
            `Cannot accept file ${m.file}: more than its ${t.size} bytes`,
          );
        }
        if (t.ok && !files.verify(m.file, t.received, m.data)) t.ok = false;
        t.received += m.data.length;
        summary.bytes += m.data.length;
        if (t.received === t.size) complete(source, t);
        return;
      }
      case "miss":
        return feed({ type: "missed", source, file: m.file });
      case "rejoin":
        if (source !== ORIGIN_SOURCE) {
          throw new ForesightError("PROTOCOL", `Cannot take "rejoin" from cache ${source}`);
        }
        return feed(rejoinInput(m));
      case "stop":
        if (source !== ORIGIN_SOURCE) {
          throw new ForesightError("PROTOCOL", `Cannot take "stop" from cache ${source}`);
        }
        feed({ type: "stop", reason: m.reason });
        return stopResolve();
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
  };

  /** Reads `peer` while it serves `source`; a cache that breaks or misbehaves is lost. */
  const readLoop = async (source: Source, peer: Peer, msgs: AsyncGenerator<Message>) => {
    const generation = generations.get(source);
    try {
      for await (const m of msgs) {
        if (sources.get(source) !== peer) return; // dropped: what it still sends is moot
        onMessage(source, m);
      }
      if (!engine.finished) {
        throw new ForesightError(
          "CONN_CLOSED",
          `Cannot finish: source ${source} closed the connection`,
        );
      }
      // Every file is in; the stop came (then this does nothing) or never will.
      if (source === ORIGIN_SOURCE) {
        stopReject(
          new ForesightError(
            "CONN_CLOSED",
            "Cannot end: the origin closed the connection before saying stop",
          ),
        );
      }
    } catch (e) {
      if (source === ORIGIN_SOURCE) {
        finishReject(e as Error);
        stopReject(e as Error);
      } else if (!engine.finished && sources.get(source) === peer) {
        feedOrFail({ type: "sourceLost", source, reason: (e as Error).message, generation });
      }
    }
  };

  for (const p of o.places ?? []) if (p.state === "joined") generations.set(p.cache, p.generation);
  for (const [src, msgs] of o.cacheMsgs) {
    if (!generations.has(src)) generations.set(src, 0);
    void readLoop(src, sources.get(src)!, msgs);
  }
  void readLoop(ORIGIN_SOURCE, sources.get(ORIGIN_SOURCE)!, o.originMsgs);
  try {
    for (const m of o.rejoins ?? []) feed(rejoinInput(m));
    feed({ type: "started", places: o.places });
  } catch (e) {
    finishReject(e as Error);
  }
  return { finished, stopped };
}

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
