/**
 * The cache server, runtime-agnostic: registers with the origin, takes its
 * pushes within capacity, serves clients (cut-through while a file still
 * arrives), evicts at a zero count and asks for refills as space frees.
 *
 * @module
 */

import type { Address, Conn, NetAdapter } from "../net/types.ts";
import type { Logger } from "../core/log.ts";
import { type Clock, realClock } from "../core/clock.ts";
import { makeCachePolicy } from "../core/policies.ts";
import type { CachePolicy } from "../core/policy.ts";
import { FileBuffer } from "../core/file_buffer.ts";
import { PagePool } from "../core/page_pool.ts";
import type { Phase, RoleView } from "../core/role_view.ts";
import { Pacer } from "../core/pacer.ts";
import { requestList, type Scenario, wireRate } from "../core/scenario.ts";
import { FileSource } from "../core/virtual_files.ts";
import { ForesightError } from "../errors.ts";
import { PROTOCOL_VERSION } from "../protocol/mod.ts";
import { Peer } from "./peer.ts";
import { gate } from "./connection_gate.ts";
import { CONNECT_DEADLINE_MS, DEFAULT_MAX_CONNECTIONS, HANDSHAKE_MS, JOIN_MS } from "./limits.ts";
import { awaitWelcome, handshake } from "./handshake.ts";
import { connectWithRetry } from "./connect.ts";

/** Options of {@link runCache}. */
export interface CacheOptions {
  readonly adapter: NetAdapter;
  readonly origin: Address;
  readonly listen: Address;
  /** Address clients should use; defaults to the bound listen address. */
  readonly advertise?: Address;
  /** Ask for this cache index (default: the origin picks). */
  readonly index?: number;
  readonly log: Logger;
  readonly clock?: Clock;
  readonly onEvent?: (event: Record<string, unknown>) => void;
  /** Receives the role's read-only view once it exists (admin API, metrics). */
  readonly onView?: (view: RoleView) => void;
  /** Shared secret: proven to the origin, and required of clients. */
  readonly secret?: string;
  /** Most client connections open at once (default {@link DEFAULT_MAX_CONNECTIONS}). */
  readonly maxConnections?: number;
  /** Give up reaching the origin after this many ms (default 30 000). */
  readonly connectDeadlineMs?: number;
}

/** What a cache reports when it ends. */
export interface CacheSummary {
  ok: boolean;
  error?: string;
  index: number;
  capacityBytes: number;
  peakBytes: number;
  hits: number;
  misses: number;
  pushedFiles: number;
  pushedBytes: number;
  evicted: number;
  bytesToClients: number;
  /** Files still held at the stop, with requests owed. */
  heldAtStop: number;
}

/**
 * Runs a cache until the origin says stop.
 */
export async function runCache(options: CacheOptions): Promise<CacheSummary> {
  const { adapter, log } = options;
  const clock = options.clock ?? realClock;
  const peers = new Set<Peer>();
  let brain: CachePolicy | undefined;
  let scenario: Scenario | undefined;
  let files: FileSource | undefined;
  const buffers = new Map<number, FileBuffer>();
  /** When each push began on the origin's link (clock time), from its `due`. */
  const pushStarts = new Map<number, number>();
  const pages = new PagePool();
  /** Per client index: the files served to it (a released client's other requests are forgone). */
  const servedTo = new Map<number, Set<number>>();
  const waiting = new Map<number, (() => void)[]>();
  let stopped = false;
  const summary: CacheSummary = {
    ok: false,
    index: -1,
    capacityBytes: 0,
    peakBytes: 0,
    hits: 0,
    misses: 0,
    pushedFiles: 0,
    pushedBytes: 0,
    evicted: 0,
    bytesToClients: 0,
    heldAtStop: 0,
  };

  // Clients may connect as soon as we listen; they wait for the welcome until we know the scenario.
  let ready!: () => void;
  const isReady = new Promise<void>((r) => (ready = r));

  const serve = async (
    peer: Peer,
    file: number,
    client: number | undefined,
    at: number | undefined,
  ): Promise<void> => {
    const b = brain!;
    const outcome = b.request(file, client);
    if (outcome === "hit" && client !== undefined) {
      let got = servedTo.get(client);
      if (!got) servedTo.set(client, got = new Set());
      got.add(file);
    }
    if (outcome === "wait") {
      // A pull-through miss queues its origin fetch inside request(): ask for it now.
      refill();
      // Parked until the push begins or the origin declines, or until this
      // client is gone: a parked request of a client that left must not take
      // a request owed to another.
      await Promise.race([
        new Promise<void>((resolve) => {
          const list = waiting.get(file) ?? [];
          list.push(resolve);
          waiting.set(file, list);
        }),
        peer.conn.closed,
      ]);
      if (stopped || peer.isClosed) return;
      // Answered when the push began (in the model, the header arrives as the
      // push starts; the origin said when that was), never before it was asked.
      const began = pushStarts.get(file);
      return serve(peer, file, client, Math.max(at ?? 0, began ?? clock.now()));
    }
    if (outcome === "miss") {
      await peer.send({ type: "miss", file, next: null });
      return;
    }
    const buffer = buffers.get(file)!;
    try {
      await peer.sendFile({ type: "hit", file, size: buffer.size }, buffer.read(), at);
      summary.bytesToClients += buffer.size;
    } finally {
      b.served(file);
      refill();
    }
  };

  // No refills during the warm-up: the origin's pushes are still arriving and
  // their space is not reserved yet. The origin's `start` ends the warm-up.
  let warm = false;
  const refill = () => {
    if (stopped || !warm) return;
    const want = brain!.refill();
    if (want !== null) {
      origin.send({ type: "request", file: want, at: clock.now() }).catch(() => {});
    }
  };

  const wake = (file: number) => {
    const list = waiting.get(file);
    waiting.delete(file);
    for (const w of list ?? []) w();
  };

  const onClientConn = async (conn: Conn) => {
    const remote = `${conn.remote.host}:${conn.remote.port}`;
    const peer = new Peer(conn, { log });
    try {
      const msgs = peer.messages();
      const hello = await handshake(msgs, {
        timeoutMs: HANDSHAKE_MS,
        send: (m) => peer.send(m),
        secret: options.secret,
      });
      if (hello.role === "cache") {
        throw new ForesightError("PROTOCOL", "Cannot register a cache at a cache");
      }
      await isReady;
      if (stopped) throw new ForesightError("CONN_CLOSED", "Cannot serve: this cache has stopped");
      peer.setPacer(new Pacer(wireRate(scenario!.rateCacheClient, scenario!.scale), clock));
      await peer.send({
        type: "welcome",
        v: PROTOCOL_VERSION,
        index: summary.index,
        scenario: scenario!,
      });
      if (hello.role === "probe") {
        peer.close();
        return;
      }
      peers.add(peer);
      let queue: Promise<void> = Promise.resolve();
      for await (const msg of msgs) {
        if (msg.type !== "request") {
          throw new ForesightError(
            "PROTOCOL",
            `Cannot handle "${msg.type}" from a client: expected "request"`,
          );
        }
        if (!Number.isInteger(msg.file) || msg.file > scenario!.files) {
          throw new ForesightError(
            "PROTOCOL",
            `Cannot serve file ${msg.file}: ids run from 1 to ${scenario!.files}`,
          );
        }
        // One request at a time per client, in order; reading goes on
        // meanwhile, so a client that leaves is noticed even while its
        // request is parked.
        const { file, at } = msg;
        queue = queue.then(() => peer.isClosed ? undefined : serve(peer, file, hello.index, at))
          .catch((e) => peer.close(e as Error));
      }
    } catch (e) {
      const err = e instanceof ForesightError
        ? e
        : new ForesightError("INTERNAL", String(e), { cause: e });
      if (!stopped) {
        log.log("warn", "client connection closed", {
          remote,
          code: err.code,
          reason: err.message,
        });
      }
      if (!peer.isClosed) await peer.reject(err);
    } finally {
      peers.delete(peer);
      peer.close();
    }
  };

  const phase = (): Phase =>
    stopped ? "stopping" : warm ? "running" : brain ? "warming" : "registering";
  options.onView?.({
    role: "cache",
    phase,
    stats: () => ({
      phase: phase(),
      index: summary.index,
      files: scenario?.files ?? 0,
      // Files held whole (at most 1000 listed), for operators and HTTP clients.
      held: [...buffers].filter(([, b]) => b.complete).slice(0, 1000).map(([f]) => f),
      capacityBytes: summary.capacityBytes,
      usedBytes: brain?.store.used ?? 0,
      peakBytes: brain?.store.peak ?? 0,
      filesHeld: brain?.store.size ?? 0,
      hits: brain?.hits ?? 0,
      misses: brain?.misses ?? 0,
      pushedFiles: summary.pushedFiles,
      pushedBytes: summary.pushedBytes,
      evicted: summary.evicted,
      bytesToClients: summary.bytesToClients,
      clientsConnected: peers.size,
      pagesAllocated: pages.allocated,
    }),
    file: (id) => {
      const b = buffers.get(id);
      return b?.complete
        ? { size: b.size, read: (offset, length) => b.copy(offset, length) }
        : undefined;
    },
  });
  const listener = await adapter.listen(
    options.listen,
    gate(options.maxConnections ?? DEFAULT_MAX_CONNECTIONS, log, (c) => void onClientConn(c)),
  );
  const advertise = options.advertise ?? listener.address;
  log.log("info", "cache listening", { host: listener.address.host, port: listener.address.port });

  const conn = await connectWithRetry(adapter, options.origin, {
    log,
    clock,
    deadlineMs: options.connectDeadlineMs ?? CONNECT_DEADLINE_MS,
  });
  const origin = new Peer(conn, { log });
  const msgs = origin.messages();
  let current: { file: number; buffer: FileBuffer; received: number } | undefined;
  try {
    await origin.send({
      type: "hello",
      v: PROTOCOL_VERSION,
      role: "cache",
      advertise,
      index: options.index,
      runtime: adapter.runtime,
    });
    const welcome = await awaitWelcome(msgs, {
      timeoutMs: JOIN_MS,
      send: (m) => origin.send(m),
      role: "cache",
      secret: options.secret,
    });
    scenario = welcome.scenario;
    summary.index = welcome.index;
    summary.capacityBytes = scenario.capacityKiB * 1024;
    files = new FileSource({ seed: scenario.seed });
    const f = files;
    const s = scenario;
    brain = makeCachePolicy(s, summary.index, {
      // Belady reads the future from every client's list, derived as the clients derive them.
      lists: Array.from(
        { length: s.clients },
        (_, c) => requestList(s.seed, c, s.files, s.requests),
      ),
      size: (n) => f.size(n),
      onEvict: (file) => {
        pushStarts.delete(file);
        buffers.get(file)?.release();
        buffers.delete(file);
        summary.evicted++;
      },
    });
    ready();
    log.log("info", "registered with origin", { index: summary.index });
    options.onEvent?.({ event: "registered", index: summary.index, port: advertise.port });
    for await (const msg of msgs) {
      switch (msg.type) {
        case "file": {
          if (current) {
            throw new ForesightError(
              "PROTOCOL",
              `Cannot start file ${msg.file}: file ${current.file} is incomplete`,
            );
          }
          brain.pushed(msg.file, msg.size, msg.count, msg.next);
          const buffer = new FileBuffer(msg.size, pages);
          buffers.set(msg.file, buffer);
          pushStarts.set(
            msg.file,
            msg.due === undefined
              ? clock.now()
              : msg.due - msg.size / wireRate(s.rateOriginCache, s.scale) * 1000,
          );
          summary.pushedFiles++;
          current = { file: msg.file, buffer, received: 0 };
          if (msg.size === 0) current = undefined;
          wake(msg.file);
          refill();
          break;
        }
        case "chunk": {
          if (!current || current.file !== msg.file) {
            throw new ForesightError(
              "PROTOCOL",
              `Cannot store a chunk of file ${msg.file}: no such file is arriving`,
            );
          }
          current.buffer.append(msg.data);
          summary.pushedBytes += msg.data.length;
          if (current.buffer.filled === current.buffer.size) current = undefined;
          break;
        }
        case "miss":
          brain.declined(msg.file, msg.next ?? null);
          wake(msg.file);
          refill();
          break;
        case "start":
          warm = true;
          // A cache that takes a lost one's place mid-run starts empty: the
          // origin's first hint comes with the start.
          if (msg.next !== undefined) brain.hinted(msg.next);
          await origin.send({ type: "start" });
          options.onEvent?.({ event: "warm", files: brain.store.size, bytes: brain.store.used });
          refill();
          break;
        case "release": {
          // A client is gone: forgo every request it still owed here.
          const s = scenario;
          const got = servedTo.get(msg.client);
          let forgone = 0;
          for (const f of requestList(s.seed, msg.client, s.files, s.requests)) {
            if (got?.has(f) || !brain.store.get(f)) continue;
            brain.forgo(f);
            forgone++;
          }
          log.log("info", "client released", { client: msg.client, forgone });
          refill();
          break;
        }
        case "stop":
          log.log("info", "origin says stop", { reason: msg.reason });
          stopped = true;
          break;
        default:
          throw new ForesightError(
            "PROTOCOL",
            `Cannot handle "${msg.type}" from the origin: not expected`,
          );
      }
      if (stopped) break;
    }
    if (!stopped) {
      throw new ForesightError(
        "CONN_CLOSED",
        "Cannot go on: the origin closed the connection before saying stop",
      );
    }
    summary.ok = true;
  } catch (e) {
    summary.error = (e as Error).message;
    log.log("error", "cache failed", { reason: summary.error });
    current?.buffer.fail(e as Error);
  } finally {
    stopped = true;
    for (const w of waiting.keys()) wake(w);
    await listener.close();
    origin.close();
    for (const p of peers) p.close();
    await Promise.race([
      Promise.all([origin.conn.closed, ...[...peers].map((p) => p.conn.closed)]),
      clock.sleep(5000),
    ]);
  }
  if (brain) {
    summary.peakBytes = brain.store.peak;
    summary.hits = brain.hits;
    summary.misses = brain.misses;
    summary.heldAtStop = brain.store.size;
  }
  return summary;
}
