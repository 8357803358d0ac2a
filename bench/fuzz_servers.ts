/**
 * Fuzzing real servers: a real origin (`runOrigin`) and a real cache
 * (`runCache`) in this process, on this runtime's adapter, fed fuzz
 * connections in batches; after each batch both must still answer a probe
 * `hello` with `welcome` and close.
 *
 * Four kinds of generation alternate, each on a fresh origin and cache, the
 * policy cycling through every policy: with or without a shared secret
 * (then every joiner must answer an HMAC challenge), and
 *
 * - `running`: two well-behaved clients registered and sent their lists, the
 *   caches are warm and the run has started. Every place is taken, so no
 *   fuzz connection can join: nothing it sends may end the run.
 * - `registering`: places are free. A fuzz connection that takes one (a valid
 *   client or cache hello) and then misbehaves or leaves ends the run, by
 *   design: the generation then ends and a new one starts. Any other end is
 *   an escape.
 *
 * @module
 */

import fc from "fast-check";
import type { Address, Conn, NetAdapter } from "../net/types.ts";
import type { Logger, LogLevel } from "../core/run/log.ts";
import { silentLogger } from "../core/run/log.ts";
import { CANONICAL, POLICIES, requestList, type Scenario } from "../core/run/scenario.ts";
import { type OriginSummary, runOrigin } from "../live/origin.ts";
import { type CacheSummary, runCache } from "../live/cache.ts";
import { Peer } from "../live/peer.ts";
import { awaitWelcome } from "../live/handshake.ts";
import { ForesightError } from "../errors.ts";
import { MessageDecoder, PROTOCOL_VERSION } from "../protocol/mod.ts";
import { cutUp, mayRegister, type Script, scriptArb } from "./fuzz_scripts.ts";

/** What the server fuzz found. */
export interface ServerReport {
  connections: number;
  generations: number;
  /** Runs ended by a fuzz connection that had taken a place (by design). */
  endedByDesign: number;
  probes: number;
  escapes: string[];
  /** Fuzz connections still open after 1.5 s (parked requests, mostly): closed by us. */
  lingering: number;
  /** A few of them: where, what was sent, what came back. */
  lingeringSamples: string[];
  /** Replies seen by fuzz connections, by type (`error:CODE` for errors). */
  replies: Record<string, number>;
  /** Codes of the connections the servers closed, from their logs. */
  closedWith: Record<string, number>;
}

/** Resolves after `ms`. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, t]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A logger that tallies the codes of closed connections and reports, as
 * escapes, the failures the servers wrapped: a non-ForesightError thrown in
 * a handler becomes `INTERNAL` with the error's text ("TypeError: …"), one
 * thrown by the decoder becomes "Cannot decode message".
 */
function watchingLogger(report: ServerReport, where: () => string): Logger {
  const logger: Logger = {
    log(level: LogLevel, msg: string, fields?: Record<string, unknown>) {
      const code = fields?.code;
      const reason = String(fields?.reason ?? "");
      if (typeof code === "string" && msg.endsWith("connection closed")) {
        report.closedWith[code] = (report.closedWith[code] ?? 0) + 1;
      }
      if (code === "INTERNAL" && !reason.startsWith("Cannot")) {
        report.escapes.push(`${where()}: a handler threw a non-ForesightError: ${reason}`);
      }
      if (reason === "Cannot decode message") {
        report.escapes.push(`${where()}: the decoder threw a non-ForesightError (${msg})`);
      }
      void level;
    },
    child: () => logger,
  };
  return logger;
}

/** One origin and cache pair under test. */
export interface Generation {
  mode: "running" | "registering";
  /** The shared secret both servers require, if any: then no fuzz connection can join. */
  secret: string | undefined;
  scenario: Scenario;
  origin: Address;
  cache: Address;
  abort: AbortController;
  originDone: Promise<OriginSummary>;
  cacheDone: Promise<CacheSummary>;
  originEnded: boolean;
  cacheEnded: boolean;
  /** A fuzz connection opened with a hello that may take a place at the origin. */
  mayHaveRegistered: boolean;
  honest: Conn[];
}

/** A well-behaved client: registers, sends its list, then only listens. */
async function honestClient(
  adapter: NetAdapter,
  origin: Address,
  s: Scenario,
  index: number,
  secret: string | undefined,
): Promise<{ conn: Conn; started: Promise<void> }> {
  const conn = await adapter.connect(origin);
  const peer = new Peer(conn, { log: silentLogger });
  const msgs = peer.messages();
  await peer.send({ type: "hello", v: PROTOCOL_VERSION, role: "client", index });
  await awaitWelcome(msgs, {
    timeoutMs: 10_000,
    send: (m) => peer.send(m),
    role: "client",
    secret,
  });
  await peer.send({ type: "list", files: requestList(s.seed, index, s.files, s.requests) });
  let started!: () => void;
  const isStarted = new Promise<void>((r) => (started = r));
  void (async () => {
    try {
      for await (const m of msgs) if (m.type === "start") started();
    } catch { /* the run ended */ }
    conn.close();
  })();
  return { conn, started: isStarted };
}

/** Starts an origin and a cache (and, when `running`, two clients and the run). */
export async function startGeneration(
  adapter: NetAdapter,
  mode: Generation["mode"],
  scenario: Scenario,
  log: Logger,
  secret?: string,
  maxConnections?: number,
): Promise<Generation> {
  const abort = new AbortController();
  let listening!: (a: Address) => void;
  const originAt = new Promise<Address>((r) => (listening = r));
  const host = "127.0.0.1";
  const originDone = runOrigin({
    scenario,
    adapter,
    listen: { host, port: 0 },
    log,
    onListening: listening,
    signal: abort.signal,
    secret,
  });
  const origin = await within(originAt, 10_000, "start the origin");
  let registered!: (port: number) => void;
  const cachePort = new Promise<number>((r) => (registered = r));
  const cacheDone = runCache({
    adapter,
    origin,
    listen: { host, port: 0 },
    log,
    secret,
    maxConnections,
    onEvent: (e) => e.event === "registered" && registered(e.port),
  });
  const cache = { host, port: await within(cachePort, 10_000, "register the cache") };
  const g: Generation = {
    mode,
    secret,
    scenario,
    origin,
    cache,
    abort,
    originDone,
    cacheDone,
    originEnded: false,
    cacheEnded: false,
    mayHaveRegistered: false,
    honest: [],
  };
  void originDone.finally(() => (g.originEnded = true));
  void cacheDone.finally(() => (g.cacheEnded = true));
  if (mode === "running") {
    const clients = [];
    for (let i = 0; i < scenario.clients; i++) {
      clients.push(await honestClient(adapter, origin, scenario, i, secret));
    }
    g.honest = clients.map((c) => c.conn);
    await within(Promise.all(clients.map((c) => c.started)), 20_000, "start the run");
  }
  return g;
}

/**
 * Connects, sends a valid probe hello (answering a challenge when `secret` is
 * set), expects `welcome` then EOF; returns what went wrong, if anything.
 */
export async function probe(
  adapter: NetAdapter,
  at: Address,
  secret?: string,
): Promise<string | undefined> {
  let conn: Conn;
  try {
    conn = await adapter.connect({ ...at, timeoutMs: 3000 });
  } catch (e) {
    return `cannot connect: ${(e as Error).message}`;
  }
  try {
    const peer = new Peer(conn, { log: silentLogger });
    const msgs = peer.messages();
    await peer.send({ type: "hello", v: PROTOCOL_VERSION, role: "probe" });
    await awaitWelcome(msgs, { timeoutMs: 5000, send: (m) => peer.send(m), role: "probe", secret });
    const next = await Promise.race([msgs.next(), sleep(5000).then(() => "timeout" as const)]);
    if (next === "timeout") return "sent welcome but did not close within 5 s";
    if (!next.done) return `sent "${next.value.type}" after welcome`;
    return undefined;
  } catch (e) {
    return `probe failed: ${(e as Error).message}`;
  } finally {
    conn.close();
  }
}

/** Plays one script; tallies the replies. */
export async function play(
  adapter: NetAdapter,
  at: Address,
  s: Script,
  report: ServerReport,
  where = "",
): Promise<void> {
  let conn: Conn;
  try {
    conn = await adapter.connect({ ...at, timeoutMs: 3000 });
  } catch {
    report.replies["(refused)"] = (report.replies["(refused)"] ?? 0) + 1;
    return;
  }
  const decoder = new MessageDecoder({ maxBody: 64 * 1_048_576 });
  const got: string[] = [];
  const reading = (async () => {
    try {
      for await (const chunk of conn.readable) {
        for (const m of decoder.push(chunk)) {
          const key = m.type === "error" ? `error:${m.code}` : m.type;
          if (m.type !== "chunk") got.push(key);
          report.replies[key] = (report.replies[key] ?? 0) + 1;
        }
      }
    } catch (e) {
      if (e instanceof ForesightError && !e.code.startsWith("CONN_")) {
        report.escapes.push(`a server sent bytes that do not decode: ${e.message}`);
      }
    }
  })();
  for (const piece of cutUp(s.bytes, s.cuts)) {
    try {
      await conn.write(piece);
    } catch {
      break;
    }
    if (s.slow) await sleep(1);
  }
  await conn.closeWrite().catch(() => {});
  const timedOut = await Promise.race([reading.then(() => false), sleep(1500).then(() => true)]);
  if (timedOut) {
    report.lingering++;
    if (report.lingeringSamples.length < 8) {
      const sent: string[] = [];
      try {
        const d = new MessageDecoder();
        for (const piece of cutUp(s.bytes, [])) {
          for (const m of d.push(piece)) {
            sent.push(m.type === "request" ? `request ${m.file}` : m.type);
          }
        }
      } catch (e) {
        sent.push(`(${(e as ForesightError).code})`);
      }
      report.lingeringSamples.push(`${where} ${s.target}: sent [${sent}] got [${got}]`);
    }
  }
  conn.close();
  await Promise.race([reading, sleep(1000)]);
}

/** Stops a generation and checks that both servers end cleanly. */
async function stopGeneration(g: Generation, report: ServerReport, name: string): Promise<void> {
  const ended = g.originEnded;
  g.abort.abort();
  try {
    const o = await within(g.originDone, 20_000, "stop the origin");
    const c = await within(g.cacheDone, 20_000, "stop the cache");
    if (!ended && o.error !== "aborted") {
      report.escapes.push(`${name}: the origin ended with "${o.error}" instead of "aborted"`);
    }
    if (!c.ok && !(g.mode === "registering" && ended)) {
      report.escapes.push(`${name}: the cache failed: ${c.error}`);
    }
  } catch (e) {
    report.escapes.push(`${name}: ${(e as Error).message}`);
  }
  for (const c of g.honest) c.close();
}

/** Options of {@link fuzzServers}. */
export interface ServerFuzzOptions {
  connections: number;
  seed: number;
  /** Concurrent connections per batch. */
  batch: number;
  /** Called after each batch (memory sampling, progress). */
  onBatch?: (done: number) => void;
}

/** Runs the server fuzz. */
export async function fuzzServers(
  adapter: NetAdapter,
  options: ServerFuzzOptions,
): Promise<ServerReport> {
  const report: ServerReport = {
    connections: 0,
    generations: 0,
    endedByDesign: 0,
    probes: 0,
    escapes: [],
    lingering: 0,
    lingeringSamples: [],
    replies: {},
    closedWith: {},
  };
  let where = "";
  const log = watchingLogger(report, () => where);
  const perGeneration = { running: 12 * options.batch, registering: 4 * options.batch };
  for (let gen = 0; report.connections < options.connections; gen++) {
    const mode = gen % 2 === 0 ? "running" : "registering";
    const secret = gen % 4 >= 2 ? `fuzz-secret-${gen}` : undefined;
    const policy = POLICIES[gen % POLICIES.length]!;
    const scenario: Scenario = {
      ...CANONICAL,
      files: 200,
      caches: 1,
      clients: 2,
      requests: 40,
      capacityKiB: 1500,
      scale: 1000,
      seed: options.seed + gen,
      policy,
    };
    const name = `generation ${gen} (${mode}${secret ? ", secret" : ""}, ${policy})`;
    where = name;
    const g = await startGeneration(adapter, mode, scenario, log, secret);
    report.generations++;
    const n = Math.min(perGeneration[mode], options.connections - report.connections);
    const scripts = fc.sample(scriptArb(scenario), { numRuns: n, seed: options.seed + gen });
    for (let i = 0; i < scripts.length && !g.originEnded; i += options.batch) {
      const batch = scripts.slice(i, i + options.batch);
      if (!secret && batch.some((s) => s.target === "origin" && mayRegister(s.bytes))) {
        g.mayHaveRegistered = true;
      }
      await Promise.all(
        batch.map((s) =>
          play(adapter, s.target === "origin" ? g.origin : g.cache, s, report, name)
        ),
      );
      report.connections += batch.length;
      options.onBatch?.(report.connections);
      await sleep(10);
      const problems: string[] = [];
      for (const [server, at] of [["origin", g.origin], ["cache", g.cache]] as const) {
        if (g.originEnded) break;
        report.probes++;
        const why = await probe(adapter, at, secret);
        if (why && !g.originEnded) problems.push(`${server} ${why}`);
      }
      if (g.originEnded && !(g.mode === "registering" && g.mayHaveRegistered)) {
        const o = await g.originDone;
        problems.push(`the origin ended: ${o.error}`);
      }
      for (const p of problems) report.escapes.push(`${name}, after ${report.connections}: ${p}`);
    }
    if (g.originEnded && g.mode === "registering" && g.mayHaveRegistered) report.endedByDesign++;
    await stopGeneration(g, report, name);
  }
  return report;
}
