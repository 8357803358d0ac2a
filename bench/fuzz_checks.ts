/**
 * One-off checks of what slow and departed senders cost the servers:
 *
 * 1. Connections that send one frame header announcing a full 1 MiB body and
 *    then stall, before the handshake (origin) and after it (cache): the
 *    memory that costs, and whether the server ever closes them.
 * 2. Clients that ask a `foresight` cache for a file nobody listed (the cache
 *    parks such a request until the file's push begins) and then leave:
 *    the cache must still accept connections afterwards.
 *
 * @module
 */

import process from "node:process";
import type { Address, Conn, NetAdapter } from "../net/types.ts";
import { silentLogger } from "../core/run/log.ts";
import { CANONICAL, requestList, type Scenario } from "../core/run/scenario.ts";
import {
  DEFAULT_MAX_BODY,
  encodeMessage,
  HEADER_BYTES,
  MessageType,
  PROTOCOL_VERSION,
  writeHeader,
} from "../protocol/mod.ts";
import { type Generation, probe, sleep, startGeneration } from "./fuzz_servers.ts";
import { mib } from "./peak_rss.ts";
import { FRAME_MS, HANDSHAKE_MS } from "../live/limits.ts";

/**
 * Opens `n` connections that each send only a frame header announcing a
 * `length`-byte body (a hello's, or after a valid client hello a request's)
 * and then stall; returns them (the caller measures memory, then closes them).
 */
export async function headerOnly(
  adapter: NetAdapter,
  at: Address,
  n: number,
  length: number,
  afterHello = false,
): Promise<Conn[]> {
  const conns: Conn[] = [];
  for (let i = 0; i < n; i++) {
    const conn = await adapter.connect(at);
    const head = new Uint8Array(HEADER_BYTES);
    writeHeader(head, 0, afterHello ? MessageType.request : MessageType.hello, length);
    if (afterHello) {
      await conn.write(encodeMessage({ type: "hello", v: PROTOCOL_VERSION, role: "client" }));
    }
    await conn.write(head);
    conns.push(conn);
  }
  return conns;
}

/**
 * Starts an origin and a cache with a run under way (every place taken), for
 * one-off checks.
 *
 * @param policy the scenario's policy
 * @param maxConnections the cache's connection limit (default: the role's)
 */
export function spareServers(
  adapter: NetAdapter,
  seed: number,
  policy: Scenario["policy"] = "seed",
  maxConnections?: number,
): Promise<Generation> {
  const scenario: Scenario = {
    ...CANONICAL,
    files: 200,
    caches: 1,
    clients: 2,
    requests: 40,
    capacityKiB: 1500,
    scale: 1000,
    seed,
    policy,
  };
  return startGeneration(adapter, "running", scenario, silentLogger, undefined, maxConnections);
}

/**
 * Clients that each ask the cache for a file nobody listed (so no push of
 * it will ever come) and then leave: returns what a probe of the cache gets
 * afterwards (undefined when it is answered). Under `foresight` the cache
 * parks such a request until the file's push begins, and the parked handler
 * keeps the departed client's connection, and its place under the
 * connection limit, until the run ends.
 */
export async function parkAndLeave(
  adapter: NetAdapter,
  g: Generation,
  n: number,
): Promise<string | undefined> {
  const s = g.scenario;
  const listed = new Set<number>();
  for (let c = 0; c < s.clients; c++) {
    for (const f of requestList(s.seed, c, s.files, s.requests)) listed.add(f);
  }
  let file = s.files;
  while (listed.has(file)) file--;
  for (let i = 0; i < n; i++) {
    const conn = await adapter.connect(g.cache);
    await conn.write(encodeMessage({ type: "hello", v: PROTOCOL_VERSION, role: "client" }));
    await conn.write(encodeMessage({ type: "request", file }));
    await sleep(20);
    await conn.closeWrite();
    conn.close();
  }
  await sleep(1000);
  return await probe(adapter, g.cache);
}

/** Stops servers started by {@link spareServers}. */
export async function stopSpare(g: Generation): Promise<void> {
  g.abort.abort();
  await Promise.race([Promise.all([g.originDone, g.cacheDone]), sleep(20_000)]);
  for (const c of g.honest) c.close();
}

/** How many of `conns` the server closes within `ms`. */
async function closedWithin(conns: Conn[], ms: number): Promise<number> {
  let closed = 0;
  await Promise.all(conns.map(async (c) => {
    const ended = (async () => {
      try {
        for await (const _ of c.readable) { /* replies */ }
      } catch { /* reset */ }
      return true;
    })();
    if (await Promise.race([ended, sleep(ms).then(() => false)])) closed++;
  }));
  return closed;
}

/**
 * Runs both checks (~14 s); returns the lines to print and the escapes found
 * (a server that stopped answering).
 */
export async function runChecks(
  adapter: NetAdapter,
  seed: number,
): Promise<{ lines: string[]; escapes: string[] }> {
  const lines: string[] = [];
  const escapes: string[] = [];
  const g = await spareServers(adapter, seed);
  const n = 32;
  const before = process.memoryUsage();
  const atOrigin = await headerOnly(adapter, g.origin, n, DEFAULT_MAX_BODY);
  const atCache = await headerOnly(adapter, g.cache, n, DEFAULT_MAX_BODY, true);
  await sleep(300);
  const after = process.memoryUsage();
  lines.push(
    `check: ${2 * n} connections each sent a 5-byte frame header announcing ` +
      `${DEFAULT_MAX_BODY} B: arrayBuffers +${
        mib(after.arrayBuffers - before.arrayBuffers)
      } MiB, ` +
      `rss +${mib(after.rss - before.rss)} MiB`,
  );
  const wait = Math.max(HANDSHAKE_MS, FRAME_MS) + 2000;
  const [o, k] = await Promise.all([closedWithin(atOrigin, wait), closedWithin(atCache, wait)]);
  lines.push(
    `check: ${wait / 1000} s later the origin had closed ${o}/${n} of them (handshake timeout), ` +
      `the cache ${k}/${n} (frame timeout after the handshake)`,
  );
  if (o < n || k < n) escapes.push(`${2 * n - o - k} stalled frames were not timed out`);
  for (const c of [...atOrigin, ...atCache]) c.close();
  await stopSpare(g);
  // The cache's connection limit is lowered to 16 to keep the check short.
  const limit = 16;
  const f = await spareServers(adapter, seed, "foresight", limit);
  const why = await parkAndLeave(adapter, f, limit);
  lines.push(
    `check: ${limit} clients asked a foresight cache (limit ${limit} connections) for a file ` +
      `nobody listed, then left; a probe then got: ${why ?? "welcome (answered)"}`,
  );
  if (why) escapes.push(`cache stopped answering after ${limit} parked clients left: ${why}`);
  await stopSpare(f);
  return { lines, escapes };
}
