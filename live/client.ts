/**
 * The client, runtime-agnostic: learns the caches from the origin, sends its
 * request list, waits for the start, fetches every file (one outstanding
 * fetch per source at most), verifies every byte, reports done.
 *
 * @module
 */

import type { Address, NetAdapter } from "../net/types.ts";
import type { Logger } from "../core/log.ts";
import { type Clock, realClock } from "../core/clock.ts";
import { makeClientPolicy } from "../core/policies.ts";
import { type ClientPolicy, ORIGIN_SOURCE, type Source } from "../core/policy.ts";
import { requestList, type Scenario, shardOf } from "../core/scenario.ts";
import { FileSource } from "../core/virtual_files.ts";
import type { Phase, RoleView } from "../core/role_view.ts";
import { ForesightError } from "../errors.ts";
import { type Message, PROTOCOL_VERSION } from "../protocol/mod.ts";
import { Peer } from "./peer.ts";
import { CONNECT_DEADLINE_MS, JOIN_MS } from "./limits.ts";
import { awaitWelcome, nextMessage } from "./handshake.ts";
import { connectWithRetry } from "./connect.ts";

/** Options of {@link runClient}. */
export interface ClientOptions {
  readonly adapter: NetAdapter;
  readonly origin: Address;
  /** Ask for this client index (default: the origin picks). */
  readonly index?: number;
  readonly log: Logger;
  readonly clock?: Clock;
  readonly onEvent?: (event: Record<string, unknown>) => void;
  /** Receives the role's read-only view once it exists (admin API, metrics). */
  readonly onView?: (view: RoleView) => void;
  /** Shared secret, proven to the origin and the caches. */
  readonly secret?: string;
  /** Give up reaching the origin after this many ms (default 30 000). */
  readonly connectDeadlineMs?: number;
  /** How often to report progress (ms, default 250). */
  readonly progressMs?: number;
}

/** What a client reports when it ends. */
export interface ClientSummary {
  ok: boolean;
  error?: string;
  index: number;
  files: number;
  bytes: number;
  verified: number;
  corrupt: number;
  hits: number;
  misses: number;
  fromOrigin: number;
  /** Simulated seconds from the start to the last file. */
  finishSimSeconds: number;
  wallSeconds: number;
  requested: number;
  /** Caches lost during the run (their files then came from the origin). */
  lostSources: number;
  /** Bytes of partial files discarded when their source was lost. */
  discardedBytes: number;
  /** Caches that came back mid-run and served this client again. */
  regainedSources: number;
}

interface Transfer {
  due: number | undefined;
  file: number;
  size: number;
  received: number;
  ok: boolean;
}

/** Runs a client until it holds every file and the origin says stop. */
export async function runClient(options: ClientOptions): Promise<ClientSummary> {
  const { adapter, log } = options;
  const clock = options.clock ?? realClock;
  const summary: ClientSummary = {
    ok: false,
    index: -1,
    files: 0,
    bytes: 0,
    verified: 0,
    corrupt: 0,
    hits: 0,
    misses: 0,
    fromOrigin: 0,
    finishSimSeconds: 0,
    wallSeconds: 0,
    requested: 0,
    lostSources: 0,
    discardedBytes: 0,
    regainedSources: 0,
  };
  const sources = new Map<Source, Peer>();
  let progressTimer: ReturnType<typeof setInterval> | undefined;
  let phase: Phase = "registering";
  let t0 = 0;
  let scale = 1;
  options.onView?.({
    role: "client",
    phase: () => phase,
    stats: () => ({
      ...summary,
      phase,
      simSeconds: phase === "running"
        ? (clock.now() - t0) / 1000 * scale
        : summary.finishSimSeconds,
    }),
  });
  try {
    const originConn = await connectWithRetry(adapter, options.origin, {
      log,
      clock,
      deadlineMs: options.connectDeadlineMs ?? CONNECT_DEADLINE_MS,
    });
    const origin = new Peer(originConn, { log });
    sources.set(ORIGIN_SOURCE, origin);
    const originMsgs = origin.messages();
    await origin.send({
      type: "hello",
      v: PROTOCOL_VERSION,
      role: "client",
      index: options.index,
      runtime: adapter.runtime,
    });
    const welcome = await awaitWelcome(originMsgs, {
      timeoutMs: JOIN_MS,
      send: (m) => origin.send(m),
      role: "client",
      secret: options.secret,
    });
    const s: Scenario = welcome.scenario;
    summary.index = welcome.index;
    const files = new FileSource({ seed: s.seed });
    const list = requestList(s.seed, summary.index, s.files, s.requests);
    summary.requested = list.length;
    const policy: ClientPolicy = makeClientPolicy(s, list);

    const cachesMsg = await nextMessage(originMsgs, 120_000, "learn the caches");
    if (cachesMsg.type !== "caches") {
      throw new ForesightError("PROTOCOL", `Cannot learn the caches: got "${cachesMsg.type}"`);
    }
    /** Connects to a cache and joins it as this client. */
    const joinCache = async (address: Address) => {
      const conn = await connectWithRetry(adapter, address, { log, clock, deadlineMs: 10_000 });
      const peer = new Peer(conn, { log });
      const msgs = peer.messages();
      try {
        await peer.send({
          type: "hello",
          v: PROTOCOL_VERSION,
          role: "client",
          index: summary.index,
          runtime: adapter.runtime,
        });
        await awaitWelcome(msgs, {
          timeoutMs: JOIN_MS,
          send: (m) => peer.send(m),
          role: "client",
          secret: options.secret,
        });
      } catch (e) {
        peer.close();
        throw e;
      }
      return { peer, msgs };
    };
    const cacheMsgs = new Map<Source, AsyncGenerator<Message>>();
    for (const c of cachesMsg.caches) {
      const { peer, msgs } = await joinCache({ host: c.host, port: c.port });
      sources.set(c.index, peer);
      cacheMsgs.set(c.index, msgs);
    }
    await origin.send({ type: "list", files: list });
    phase = "waiting";
    log.log("info", "list sent; waiting for the start", {
      index: summary.index,
      files: list.length,
    });

    // Wait for the start (a plan may come first).
    while (true) {
      const m = await nextMessage(originMsgs, 600_000, "wait for the start");
      if (m.type === "plan") policy.route(m.routes);
      else if (m.type === "start") break;
      else if (m.type === "stop") {
        throw new ForesightError(
          "PROTOCOL",
          `Cannot run: the origin stopped the run (${m.reason})`,
        );
      } else throw new ForesightError("PROTOCOL", `Cannot wait for the start: got "${m.type}"`);
    }
    t0 = clock.now();
    scale = s.scale;
    phase = "running";
    const progress = () =>
      options.onEvent?.({
        event: "progress",
        index: summary.index,
        files: summary.files,
        of: list.length,
        bytes: summary.bytes,
        hits: summary.hits,
        misses: summary.misses,
        simSeconds: (clock.now() - t0) / 1000 * s.scale,
      });
    progressTimer = setInterval(progress, options.progressMs ?? 250);

    const busy = new Map<Source, number>();
    const inflight = new Map<Source, Transfer>();
    let finishResolve!: () => void;
    let finishReject!: (e: Error) => void;
    const finished = new Promise<void>((res, rej) => ((finishResolve = res), (finishReject = rej)));
    let stopResolve!: () => void;
    const stopped = new Promise<void>((res) => (stopResolve = res));

    // When each source was last asked (clock time): a miss is answered, in the
    // model, the moment it was asked.
    const askedAt = new Map<Source, number>();
    /** Caches this client has lost. */
    const lostCaches = new Set<Source>();
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
        // A file whose cache this client has lost must not be sent back there.
        const direct = f.source === ORIGIN_SOURCE && s.caches > 0 &&
          lostCaches.has(shardOf(f.file, s.caches));
        peer.send({ type: "request", file: f.file, at, ...(direct ? { direct } : {}) })
          .catch((e) => finishReject(e as Error));
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
          rejoin(m.cache, { host: m.host, port: m.port }, m.files);
          return;
        case "stop":
          if (source === ORIGIN_SOURCE && policy.finished) return stopResolve();
          throw new ForesightError(
            "PROTOCOL",
            `Cannot finish: the origin stopped the run (${m.reason})`,
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
     * comes from the origin.
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
      lostCaches.add(source);
      policy.lost(source);
      pump();
    };

    /**
     * A cache is back (restarted in a lost one's place): the files the origin
     * lists come from it again. While the connection is being made the source
     * counts as busy, so nothing is asked of it yet and none of those files
     * of the origin; if it cannot be reached, it is lost again.
     */
    const rejoin = (cache: Source, address: Address, files: readonly number[]) => {
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
      lostCaches.delete(cache);
      policy.regain(cache, files);
      joinCache(address).then(({ peer, msgs }) => {
        if (policy.finished) return peer.close();
        sources.set(cache, peer);
        busy.delete(cache);
        summary.regainedSources++;
        void readLoop(cache, msgs);
        pump();
      }, (e) => {
        busy.delete(cache);
        lostCaches.add(cache);
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
      } catch (e) {
        if (source !== ORIGIN_SOURCE && !policy.finished) lose(source, (e as Error).message);
        else finishReject(e as Error);
      }
    };
    for (const [src, msgs] of cacheMsgs) void readLoop(src, msgs);
    void readLoop(ORIGIN_SOURCE, originMsgs);
    pump();
    await finished;
    summary.finishSimSeconds = (clock.now() - t0) / 1000 * s.scale;
    phase = "stopping";
    summary.wallSeconds = (clock.now() - t0) / 1000;
    clearInterval(progressTimer);
    progress();
    await origin.send({ type: "done", files: summary.files, bytes: summary.bytes });
    // Wait for the stop from the origin.
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      stopped,
      new Promise<never>((_, rej) => {
        timer = setTimeout(
          () =>
            rej(new ForesightError("TIMEOUT", "Cannot end: no stop from the origin within 60 s")),
          60_000,
        );
      }),
    ]).finally(() => clearTimeout(timer));
    summary.ok = summary.corrupt === 0 && summary.verified === list.length;
  } catch (e) {
    summary.error = (e as Error).message;
    log.log("error", "client failed", { reason: summary.error });
  } finally {
    clearInterval(progressTimer);
    for (const p of sources.values()) p.close();
    await Promise.race([
      Promise.all([...sources.values()].map((p) => p.conn.closed)),
      clock.sleep(5000),
    ]);
  }
  return summary;
}
