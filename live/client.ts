/**
 * The client, runtime-agnostic: learns the caches from the origin, sends its
 * request list, waits for the start, fetches every file (one outstanding
 * fetch per source at most), verifies every byte, reports done. What to fetch
 * from where is the {@link ClientEngine}'s to decide; this is its driver.
 *
 * @module
 */

import type { Address, NetAdapter } from "../net/types.ts";
import type { Logger } from "../core/log.ts";
import { type Clock, realClock } from "../core/clock.ts";
import { ORIGIN_SOURCE, type Source } from "../core/policy.ts";
import { requestList, type Scenario } from "../core/scenario.ts";
import { FileSource } from "../core/virtual_files.ts";
import type { Phase, RoleView } from "../core/role_view.ts";
import { ForesightError } from "../errors.ts";
import { ClientEngine, type StartPlace } from "../engine/client.ts";
import {
  type CacheAddress,
  type Message,
  PROTOCOL_VERSION,
  type RejoinMessage,
} from "../protocol/mod.ts";
import { Peer } from "./peer.ts";
import { CONNECT_DEADLINE_MS, IDLE_MS, JOIN_MS } from "./limits.ts";
import { StallWatch } from "./stall_watch.ts";
import { awaitWelcome, nextMessage } from "./handshake.ts";
import { connectWithRetry } from "./connect.ts";
import { fetchAll } from "./client_fetch.ts";
import type { EngineEvent } from "../protocol/role_event.ts";

/** Options of {@link runClient}. */
export interface ClientOptions {
  readonly adapter: NetAdapter;
  readonly origin: Address;
  /** Ask for this client index (default: the origin picks). */
  readonly index?: number;
  readonly log: Logger;
  readonly clock?: Clock;
  readonly onEvent?: (event: EngineEvent) => void;
  /** Receives the role's read-only view once it exists (admin API, metrics). */
  readonly onView?: (view: RoleView) => void;
  /** Shared secret, proven to the origin and the caches. */
  readonly secret?: string;
  /** Give up reaching the origin after this many ms (default 30 000). */
  readonly connectDeadlineMs?: number;
  /** How often to report progress (ms, default 250). */
  readonly progressMs?: number;
  /**
   * How long a connection, past its handshake, may bring nothing (not even a
   * keepalive `ping`) before it is closed (default `IDLE_MS`, 30 s).
   */
  readonly idleMs?: number;
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

/** Runs a client until it holds every file and the origin says stop. */
export async function runClient(options: ClientOptions): Promise<ClientSummary> {
  const { adapter, log } = options;
  const clock = options.clock ?? realClock;
  const stalls = new StallWatch(clock);
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
    const origin = new Peer(originConn, { log, idleMs: options.idleMs, watch: stalls });
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
    origin.keepAlive();
    const s: Scenario = welcome.scenario;
    summary.index = welcome.index;
    log.log("info", "registered with origin", { index: summary.index });
    const files = new FileSource({ seed: s.seed });
    const list = requestList(s.seed, summary.index, s.files, s.requests);
    summary.requested = list.length;
    const engine = new ClientEngine({ scenario: s, list, size: (f) => files.size(f) });

    const cachesMsg = await nextMessage(originMsgs, 120_000, "learn the caches");
    if (cachesMsg.type !== "caches") {
      throw new ForesightError("PROTOCOL", `Cannot learn the caches: got "${cachesMsg.type}"`);
    }
    /** Connects to a cache and joins it as this client. */
    const joinCache = async (address: Address) => {
      const conn = await connectWithRetry(adapter, address, { log, clock, deadlineMs: 10_000 });
      const peer = new Peer(conn, { log, idleMs: options.idleMs, watch: stalls });
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
        peer.keepAlive();
      } catch (e) {
        peer.close();
        throw e;
      }
      return { peer, msgs };
    };
    const cacheMsgs = new Map<Source, AsyncGenerator<Message>>();
    /**
     * Cache places this client has no connection to at the start, and whether
     * the origin must be told (it believes the cache alive): a place the origin
     * left out of the list is lost already; one that cannot be joined is not.
     */
    const unreachable = new Map<Source, boolean>();
    const generations = new Map<Source, number>();
    for (let k = 0; k < s.caches; k++) unreachable.set(k, false);
    /** Joins the cache in place `k`; one that cannot be joined is lost for this client. */
    const takePlace = async (k: Source, address: Address) => {
      sources.get(k)?.close();
      sources.delete(k);
      cacheMsgs.delete(k);
      try {
        const { peer, msgs } = await joinCache(address);
        sources.set(k, peer);
        cacheMsgs.set(k, msgs);
        unreachable.delete(k);
      } catch (e) {
        log.log("warn", "cannot join a cache; its files will come from the origin", {
          cache: k,
          reason: (e as Error).message,
        });
        unreachable.set(k, true);
      }
    };
    /** Joins the caches of a `caches` list it has no connection to yet; a place left out is lost. */
    const learn = async (list: readonly CacheAddress[]) => {
      const listed = new Map(list.map((c) => [c.index, c]));
      for (let k = 0; k < s.caches; k++) {
        const c = listed.get(k);
        if (c === undefined) {
          sources.get(k)?.close();
          sources.delete(k);
          cacheMsgs.delete(k);
          unreachable.set(k, false);
        } else if (!sources.has(k) || (generations.get(k) ?? 0) !== (c.generation ?? 0)) {
          generations.set(k, c.generation ?? 0);
          await takePlace(k, { host: c.host, port: c.port });
        }
      }
    };
    await learn(cachesMsg.caches);
    await origin.send({ type: "list", files: list });
    phase = "waiting";
    log.log("info", "list sent; waiting for the start", {
      index: summary.index,
      files: list.length,
    });

    // Wait for the start (a plan may come first). A cache that takes a lost
    // one's place before the warm-up comes with a new list; one that takes it
    // during the warm-up, with a `rejoin` handled at the start as mid-run.
    const rejoins: RejoinMessage[] = [];
    while (true) {
      const m = await nextMessage(originMsgs, 600_000, "wait for the start");
      if (m.type === "plan") engine.handle({ type: "planned", routes: m.routes }, clock.now());
      else if (m.type === "start") break;
      else if (m.type === "caches") await learn(m.caches);
      else if (m.type === "rejoin") rejoins.push(m);
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

    const places: StartPlace[] = Array.from({ length: s.caches }, (_, cache) => {
      const tell = unreachable.get(cache);
      const state = tell === undefined ? "joined" : tell ? "unjoinable" : "absent";
      return { cache, generation: generations.get(cache) ?? 0, state };
    });
    const { finished, stopped } = fetchAll({
      engine,
      files,
      summary,
      sources,
      clock,
      log,
      join: joinCache,
      cacheMsgs,
      originMsgs,
      places,
      rejoins,
    });
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
    // Stopped (SIGSTOP) or blocked for about the idle limit or more (the
    // peers count from the last byte, up to a third of it before): they
    // have likely dropped this client; say so, whatever broke first on resuming.
    const idleMs = options.idleMs ?? IDLE_MS;
    const pause = stalls.lastPause();
    if (pause.ms >= idleMs * 2 / 3 && clock.now() - pause.endedAt < 10_000) {
      summary.error = `Cannot go on: this client was stopped for ${
        Math.round(pause.ms)
      } ms (the idle limit is ${idleMs} ms), and its peers dropped it: ${summary.error}`;
    }
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
