/**
 * One client's run, in its phases: register with the origin, learn and join
 * the caches (live/client_places.ts), send the request list, wait for the
 * start, fetch every file (live/client_fetch.ts, over the client engine),
 * then report done and wait for the stop. It keeps the summary, the phase
 * and the progress reports; {@link runClient} drives it.
 *
 * @module
 */

import { type Clock, realClock } from "../core/run/clock.ts";
import type { Logger } from "../core/run/log.ts";
import { ORIGIN_SOURCE, type Source } from "../core/policies/policy.ts";
import type { Phase, RoleView } from "../core/run/role_view.ts";
import { requestList, type Scenario } from "../core/run/scenario.ts";
import { FileSource } from "../core/files/virtual_files.ts";
import { Catalogue } from "../core/files/catalogue.ts";
import { readCatalogue } from "./read_catalogue.ts";
import { type FileCheck, fileChecker } from "../core/files/file_check.ts";
import { webSha256 } from "../core/files/sha256.ts";
import { parseDemand } from "../core/demand/demand.ts";
import { ForesightError } from "../errors.ts";
import { ClientEngine } from "../engine/client.ts";
import { recordInputs } from "../engine/input_trace.ts";
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
import { ClientPlaces } from "./client_places.ts";
import type { ClientOptions, ClientSummary } from "./client.ts";

/** The connection to the origin once registered, and what it said. */
interface Registered {
  readonly origin: Peer;
  readonly msgs: AsyncGenerator<Message>;
  readonly scenario: Scenario;
  /** Entries of a real store's catalogue to read before the caches (none: synthetic files). */
  readonly catalogue: number | undefined;
}

/**
 * A client's run: {@link run}, then {@link failed} if it threw, then {@link close}.
 *
 * @example
 * ```ts
 * const run = new ClientRun(options);
 * options.onView?.(run.view());
 * try {
 *   await run.run();
 * } catch (e) {
 *   run.failed(e as Error);
 * } finally {
 *   await run.close();
 * }
 * return run.summary;
 * ```
 */
export class ClientRun {
  /** What the client reports when it ends; filled in as the run goes. */
  readonly summary: ClientSummary = {
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
    skipped: 0,
    refetched: 0,
    failed: 0,
  };
  readonly #o: ClientOptions;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #stalls: StallWatch;
  /** The connection to each source: the origin and every cache reached. */
  readonly #sources = new Map<Source, Peer>();
  #progressTimer: ReturnType<typeof setInterval> | undefined;
  #phase: Phase = "registering";
  /** When the origin said start (clock time). */
  #t0 = 0;
  #scale = 1;

  /** @param options the client's options (see {@link ClientOptions}) */
  constructor(options: ClientOptions) {
    this.#o = options;
    this.#log = options.log;
    this.#clock = options.clock ?? realClock;
    this.#stalls = new StallWatch(this.#clock);
  }

  /** The client's read-only view (admin API, metrics): phase and counters. */
  view(): RoleView {
    return {
      role: "client",
      phase: () => this.#phase,
      stats: () => ({
        ...this.summary,
        phase: this.#phase,
        simSeconds: this.#phase === "running"
          ? (this.#clock.now() - this.#t0) / 1000 * this.#scale
          : this.summary.finishSimSeconds,
      }),
    };
  }

  /**
   * Runs the client from its connection to the origin to the stop; `ok` in
   * the summary once every file is in, verified, and the origin said stop.
   *
   * @throws {ForesightError} what ends the run: TIMEOUT, PROTOCOL, CONN_CLOSED, AUTH, VERSION, …
   */
  async run(): Promise<void> {
    const { origin, msgs, scenario: s, catalogue: count } = await this.#register();
    const source = count === undefined ? new FileSource({ seed: s.seed }) : undefined;
    const catalogue = source
      ? Catalogue.synthetic(source, s.files)
      : await readCatalogue(msgs, count!);
    const check = fileChecker(catalogue, source, this.#o.sha256 ?? webSha256);
    const wanted = this.#wanted(s, catalogue);
    this.summary.requested = wanted.length;
    const kept = await this.#kept(wanted, catalogue, check);
    const list = wanted.filter((f) => !kept.has(f));
    const engine = new ClientEngine({ scenario: s, list, size: (f) => catalogue.size(f) });
    if (this.#o.traceInputs) recordInputs(engine, this.#o.traceInputs);
    const caches = await this.#cacheList(msgs);
    const places = new ClientPlaces({
      adapter: this.#o.adapter,
      log: this.#log,
      clock: this.#clock,
      stalls: this.#stalls,
      index: this.summary.index,
      caches: s.caches,
      sources: this.#sources,
      secret: this.#o.secret,
      idleMs: this.#o.idleMs,
    });
    await places.learn(caches);
    await origin.send({ type: "list", files: list });
    this.#phase = "waiting";
    this.#log.log("info", "list sent; waiting for the start", {
      index: this.summary.index,
      files: list.length,
    });
    const rejoins = await this.#awaitStart(msgs, engine, places);
    this.#begin(s);
    const { finished, stopped } = fetchAll({
      engine,
      catalogue,
      check,
      sink: this.#o.sink,
      skipped: kept.size,
      summary: this.summary,
      sources: this.#sources,
      clock: this.#clock,
      log: this.#log,
      join: (address) => places.join(address),
      cacheMsgs: places.messages,
      originMsgs: msgs,
      places: places.atStart(),
      rejoins,
    });
    await finished;
    await this.#end(origin, stopped);
    const { corrupt, failed, verified } = this.summary;
    this.summary.ok = corrupt === 0 && failed === 0 && verified === wanted.length;
  }

  /**
   * The files this client fetches: its own list (`want`), else the one the
   * seed draws for its index.
   *
   * @throws {ForesightError} CONFIG when the list names files the origin does not
   *   serve, or has no list for this index
   */
  #wanted(s: Scenario, catalogue: Catalogue): number[] {
    const index = this.summary.index;
    const want = this.#o.want;
    if (want === undefined) return requestList(s.seed, index, s.files, s.requests);
    const lists = parseDemand(want.text, want.source, catalogue);
    const list = lists.length === 1 ? lists[0] : lists[index];
    if (list === undefined) {
      throw new ForesightError(
        "CONFIG",
        `Cannot use --want ${want.source}: it has lists for ${lists.length} clients, none for client ${index}`,
      );
    }
    return list;
  }

  /** The files of `wanted` already in the sink with the right bytes (checked as they arrive would be). */
  async #kept(
    wanted: readonly number[],
    catalogue: Catalogue,
    check: (id: number) => FileCheck,
  ): Promise<Set<number>> {
    const kept = new Set<number>();
    const existing = this.#o.sink?.existing?.bind(this.#o.sink);
    if (existing === undefined) return kept;
    for (const f of wanted) {
      const parts = await existing(catalogue.entry(f));
      if (parts === undefined) continue;
      const c = check(f);
      for await (const part of parts) c.add(part);
      if (await c.result()) kept.add(f);
    }
    if (kept.size > 0) {
      this.#log.log("info", "files already verified in the sink; not fetched again", {
        files: kept.size,
        of: wanted.length,
      });
    }
    return kept;
  }

  /**
   * The run failed with `e`: its reason goes in the summary and the log. A
   * client stopped (SIGSTOP) or blocked for about the idle limit or more has
   * likely been dropped by its peers (they count from the last byte, up to a
   * third of it before): the reason says so, whatever broke first on resuming.
   */
  failed(e: Error): void {
    const summary = this.summary;
    summary.error = e.message;
    const idleMs = this.#o.idleMs ?? IDLE_MS;
    const pause = this.#stalls.lastPause();
    if (pause.ms >= idleMs * 2 / 3 && this.#clock.now() - pause.endedAt < 10_000) {
      summary.error = `Cannot go on: this client was stopped for ${
        Math.round(pause.ms)
      } ms (the idle limit is ${idleMs} ms), and its peers dropped it: ${summary.error}`;
    }
    this.#log.log("error", "client failed", { reason: summary.error });
  }

  /** Stops the progress reports and closes every connection (waiting up to 5 s for them). */
  async close(): Promise<void> {
    clearInterval(this.#progressTimer);
    for (const p of this.#sources.values()) p.close();
    await Promise.race([
      Promise.all([...this.#sources.values()].map((p) => p.conn.closed)),
      this.#clock.sleep(5000),
    ]);
  }

  /** Connects to the origin and registers: `hello`, then its `welcome` with the scenario. */
  async #register(): Promise<Registered> {
    const o = this.#o;
    const log = this.#log;
    const conn = await connectWithRetry(o.adapter, o.origin, {
      log,
      clock: this.#clock,
      deadlineMs: o.connectDeadlineMs ?? CONNECT_DEADLINE_MS,
    });
    const origin = new Peer(conn, { log, idleMs: o.idleMs, watch: this.#stalls });
    this.#sources.set(ORIGIN_SOURCE, origin);
    const msgs = origin.messages();
    const sentAt = this.#clock.now();
    await origin.send({
      type: "hello",
      v: PROTOCOL_VERSION,
      role: "client",
      index: o.index,
      runtime: o.adapter.runtime,
    });
    const welcome = await awaitWelcome(msgs, {
      timeoutMs: JOIN_MS,
      send: (m) => origin.send(m),
      role: "client",
      secret: o.secret,
      clock: this.#clock,
      sentAt,
    });
    origin.setClockOffset(welcome.clockOffsetMs);
    origin.keepAlive();
    this.summary.index = welcome.index;
    log.log("info", "registered with origin", { index: this.summary.index });
    return { origin, msgs, scenario: welcome.scenario, catalogue: welcome.catalogue };
  }

  /** The origin's first list of the caches. */
  async #cacheList(msgs: AsyncGenerator<Message>): Promise<readonly CacheAddress[]> {
    const m = await nextMessage(msgs, 120_000, "learn the caches");
    if (m.type !== "caches") {
      throw new ForesightError("PROTOCOL", `Cannot learn the caches: got "${m.type}"`);
    }
    return m.caches;
  }

  /**
   * Waits for the start (a plan may come first). A cache that takes a lost
   * one's place before the warm-up comes with a new list; one that takes it
   * during the warm-up, with a `rejoin` handled at the start as mid-run:
   * those are returned, in order.
   */
  async #awaitStart(
    msgs: AsyncGenerator<Message>,
    engine: ClientEngine,
    places: ClientPlaces,
  ): Promise<RejoinMessage[]> {
    const rejoins: RejoinMessage[] = [];
    while (true) {
      const m = await nextMessage(msgs, 600_000, "wait for the start");
      if (m.type === "plan") {
        engine.handle({ type: "planned", routes: m.routes }, this.#clock.now());
      } else if (m.type === "start") return rejoins;
      else if (m.type === "caches") await places.learn(m.caches);
      else if (m.type === "rejoin") rejoins.push(m);
      else if (m.type === "stop") {
        throw new ForesightError(
          "PROTOCOL",
          `Cannot run: the origin stopped the run (${m.reason})`,
        );
      } else throw new ForesightError("PROTOCOL", `Cannot wait for the start: got "${m.type}"`);
    }
  }

  /** The start: the clock of the run begins, and progress is reported every `progressMs`. */
  #begin(s: Scenario): void {
    this.#t0 = this.#clock.now();
    this.#scale = s.scale;
    this.#phase = "running";
    this.#progressTimer = setInterval(() => this.#progress(), this.#o.progressMs ?? 250);
  }

  /** Every file is in: a last progress report, `done`, then the origin's stop (60 s at most). */
  async #end(origin: Peer, stopped: Promise<void>): Promise<void> {
    const summary = this.summary;
    summary.finishSimSeconds = (this.#clock.now() - this.#t0) / 1000 * this.#scale;
    this.#phase = "stopping";
    summary.wallSeconds = (this.#clock.now() - this.#t0) / 1000;
    clearInterval(this.#progressTimer);
    this.#progress();
    await origin.send({ type: "done", files: summary.files, bytes: summary.bytes });
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
  }

  /** Reports progress: files and bytes in, hits, misses, simulated seconds since the start. */
  #progress(): void {
    const summary = this.summary;
    this.#o.onEvent?.({
      event: "progress",
      index: summary.index,
      files: summary.files,
      of: summary.requested,
      bytes: summary.bytes,
      hits: summary.hits,
      misses: summary.misses,
      simSeconds: (this.#clock.now() - this.#t0) / 1000 * this.#scale,
    });
  }
}
