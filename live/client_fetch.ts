/**
 * A client's run, from the start to its last file: one fetch outstanding per
 * source at most (as the policy says), every byte verified as it arrives, a
 * lost cache's partial file discarded and its files fetched from the origin,
 * a restarted cache's files fetched from it again.
 *
 * @module
 */

import type { Address } from "../net/types.ts";
import type { Clock } from "../core/clock.ts";
import type { Logger } from "../core/log.ts";
import { type ClientPolicy, ORIGIN_SOURCE, type Source } from "../core/policy.ts";
import type { Scenario } from "../core/scenario.ts";
import type { FileSource } from "../core/virtual_files.ts";
import { ForesightError } from "../errors.ts";
import type { Message, RejoinMessage } from "../protocol/mod.ts";
import type { Peer } from "./peer.ts";
import type { ClientSummary } from "./client.ts";

/** What {@link fetchAll} works with. */
export interface FetchOptions {
  readonly s: Scenario;
  readonly policy: ClientPolicy;
  /** The expected bytes of every file. */
  readonly files: FileSource;
  /** Counters to advance. */
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
  /**
   * Cache places lost before the start (left out of the origin's list, or
   * not joinable), each with whether the origin must be told (default none).
   */
  readonly unreachable?: ReadonlyMap<Source, boolean>;
  /** Per cache place: how many caches held it before the current one (default 0 each). */
  readonly generations?: ReadonlyMap<Source, number>;
  /** `rejoin`s that came before the start, in order: handled first, as if they came now. */
  readonly rejoins?: readonly RejoinMessage[];
}

interface Transfer {
  due: number | undefined;
  file: number;
  size: number;
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
 * const { finished, stopped } = fetchAll({ s, policy, files, summary, sources, clock, log, join, cacheMsgs, originMsgs });
 * await finished;
 * ```
 */
export function fetchAll(o: FetchOptions): { finished: Promise<void>; stopped: Promise<void> } {
  const { s, policy, files, summary, sources, clock, log, cacheMsgs, originMsgs } = o;
  const busy = new Map<Source, number>();
  const inflight = new Map<Source, Transfer>();
  let finishResolve!: () => void;
  let finishReject!: (e: Error) => void;
  const finished = new Promise<void>((res, rej) => ((finishResolve = res), (finishReject = rej)));
  let stopResolve!: () => void;
  let stopReject!: (e: Error) => void;
  const stopped = new Promise<void>((res, rej) => ((stopResolve = res), (stopReject = rej)));
  stopped.catch(() => {}); // awaited only once every file is in

  // When each source was last asked (clock time): a miss is answered, in the
  // model, the moment it was asked.
  const askedAt = new Map<Source, number>();
  /** Per cache place: how many times a cache took it again (see `rejoin`); 0 at first. */
  const generations = new Map<Source, number>(o.generations ?? []);
  /**
   * A write to the origin failed: the run is over for this client. The read
   * side may still hold the origin's reason (an `error` sent before it closed,
   * e.g. its idle limit while this process was stopped); that one wins when it
   * is read within a moment.
   */
  const originWriteFailed = (e: Error) => {
    setTimeout(() => finishReject(e), 500);
  };
  /** Tells the origin this client cannot reach `cache`: it then serves that cache's files. */
  const tellLost = (cache: Source) =>
    sources.get(ORIGIN_SOURCE)?.send({
      type: "lost",
      cache,
      generation: generations.get(cache) ?? 0,
    }).catch(originWriteFailed);
  /** Starts the fetches the policy wants; `at` is when, in the model, this decision is made. */
  const pump = (at = clock.now()) => {
    if (policy.finished) return finishResolve();
    const busySet = new Set(busy.keys());
    for (const f of policy.poll(busySet)) {
      const peer = sources.get(f.source);
      if (!peer) {
        return finishReject(
          new ForesightError("PROTOCOL", `Cannot fetch file ${f.file}: no source ${f.source}`),
        );
      }
      busy.set(f.source, f.file);
      askedAt.set(f.source, at);
      // A cache that cannot be written to is lost, like one that cannot be read.
      peer.send({ type: "request", file: f.file, at }).catch(
        f.source === ORIGIN_SOURCE ? originWriteFailed : (e: Error) => {
          if (sources.get(f.source) === peer && !policy.finished) lose(f.source, e.message);
        },
      );
    }
  };

  const onMessage = (source: Source, m: Message) => {
    const want = busy.get(source);
    switch (m.type) {
      case "file":
      case "hit": {
        if (want !== m.file) {
          throw new ForesightError(
            "PROTOCOL",
            `Cannot accept file ${m.file} from source ${source}: asked for ${want}`,
          );
        }
        if (m.size !== files.size(m.file)) {
          throw new ForesightError(
            "CORRUPT",
            `Cannot accept file ${m.file}: size ${m.size}, expected ${files.size(m.file)}`,
          );
        }
        if (m.type === "hit") summary.hits++;
        else summary.fromOrigin++;
        inflight.set(source, { file: m.file, size: m.size, received: 0, ok: true, due: m.due });
        if (m.size === 0) complete(source);
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
        if (t.received === t.size) complete(source);
        return;
      }
      case "miss":
        if (want !== m.file) {
          throw new ForesightError(
            "PROTOCOL",
            `Cannot accept a miss for file ${m.file}: asked for ${want}`,
          );
        }
        if (source !== ORIGIN_SOURCE) summary.misses++;
        busy.delete(source);
        policy.missed(m.file, source);
        pump(askedAt.get(source));
        return;
      case "rejoin":
        if (source !== ORIGIN_SOURCE) {
          throw new ForesightError("PROTOCOL", `Cannot take "rejoin" from cache ${source}`);
        }
        rejoin(m.cache, m.generation, { host: m.host, port: m.port }, m.files);
        return;
      case "stop":
        if (source === ORIGIN_SOURCE && policy.finished) return stopResolve();
        throw new ForesightError(
          "PROTOCOL",
          `Cannot finish: the origin stopped the run (${m.reason})`,
        );
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

  const complete = (source: Source) => {
    const t = inflight.get(source)!;
    inflight.delete(source);
    busy.delete(source);
    summary.files++;
    if (t.ok) summary.verified++;
    else {
      summary.corrupt++;
      log.log("error", "file failed verification", { file: t.file, source });
    }
    policy.received(t.file, source);
    // The sender said when the transfer was due to end; the bytes came early
    // or late by the event loops' and the network's delays, which the model
    // does not have. Decide as of then (never later than now).
    pump(Math.min(clock.now(), t.due ?? Infinity));
  };

  /**
   * A cache is gone (its connection broke, or it sent what it must not): the
   * partial file is discarded, and every file still meant to come from it
   * comes from the origin, which is told so first (the cache may live on for
   * others: it forgoes what it owed this client).
   */
  const lose = (source: Source, reason: string) => {
    const peer = sources.get(source);
    if (!peer) return;
    log.log("warn", "cache lost; fetching its files from the origin", { cache: source, reason });
    peer.close();
    sources.delete(source);
    const t = inflight.get(source);
    if (t) {
      inflight.delete(source);
      summary.bytes -= t.received;
      summary.discardedBytes += t.received;
    }
    busy.delete(source);
    summary.lostSources++;
    tellLost(source);
    policy.lost(source);
    pump();
  };

  /**
   * A cache is back (restarted in a lost one's place): the files the origin
   * lists come from it again. While the connection is being made the source
   * counts as busy, so nothing is asked of it yet and none of those files
   * of the origin; if it cannot be reached, it is lost again.
   */
  const rejoin = (
    cache: Source,
    generation: number,
    address: Address,
    files: readonly number[],
  ) => {
    if (policy.finished) return;
    if (cache < 0 || cache >= s.caches) {
      throw new ForesightError("PROTOCOL", `Cannot rejoin cache ${cache}: no such cache`);
    }
    if (sources.has(cache)) lose(cache, "the origin says it was replaced");
    log.log("info", "cache back; fetching its files from it again", {
      cache,
      files: files.length,
    });
    busy.set(cache, 0);
    generations.set(cache, generation);
    policy.regain(cache, files);
    // A later rejoin of this place supersedes this one (its join ends unused).
    const current = () => generations.get(cache) === generation;
    o.join(address).then(({ peer, msgs }) => {
      if (policy.finished || !current()) return peer.close();
      sources.set(cache, peer);
      busy.delete(cache);
      summary.regainedSources++;
      void readLoop(cache, msgs);
      pump();
    }, (e) => {
      if (policy.finished || !current()) return;
      busy.delete(cache);
      tellLost(cache);
      log.log("warn", "cannot reach the rejoined cache", {
        cache,
        reason: (e as Error).message,
      });
      policy.lost(cache);
      pump();
    });
  };

  const readLoop = async (source: Source, msgs: AsyncGenerator<Message>) => {
    try {
      for await (const m of msgs) onMessage(source, m);
      if (!policy.finished) {
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
      if (source !== ORIGIN_SOURCE && !policy.finished) lose(source, (e as Error).message);
      else {
        finishReject(e as Error);
        if (source === ORIGIN_SOURCE) stopReject(e as Error);
      }
    }
  };
  for (const [src, msgs] of cacheMsgs) void readLoop(src, msgs);
  void readLoop(ORIGIN_SOURCE, originMsgs);
  for (const [cache, tell] of o.unreachable ?? []) {
    log.log("warn", "no cache in this place at the start; its files come from the origin", {
      cache,
    });
    summary.lostSources++;
    if (tell) tellLost(cache);
    policy.lost(cache);
  }
  for (const m of o.rejoins ?? []) rejoin(m.cache, m.generation, m, m.files);
  pump();
  return { finished, stopped };
}
