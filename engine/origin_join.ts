/**
 * How places are taken at the origin engine: a cache or client joins (the
 * place it asks for, else the first free one; a cache may take a lost one's
 * place), the cache list reaches every client once, and a cache that takes
 * a lost one's place is warmed (before the warm-up) or rejoined (after it).
 *
 * @module
 */

import type { ControlMessage } from "../protocol/control_message.ts";
import { PROTOCOL_VERSION } from "../protocol/mod.ts";
import { ForesightError } from "../errors.ts";
import type { OriginEngine } from "./origin.ts";
import { allCaches, type CacheSlot, type OriginState, owes } from "./origin_state.ts";

/**
 * `role` asks for a place (`asked`, else the first free one); a cache says
 * where clients reach it.
 *
 * @throws {ForesightError} PROTOCOL when the run is over, no place is free,
 * the one asked for is taken, or a cache gives no address
 */
export function join(
  origin: OriginEngine,
  role: "cache" | "client",
  asked: number | undefined,
  host?: string,
  port?: number,
): void {
  const st = origin.st;
  if (st.finished) throw new ForesightError("PROTOCOL", "Cannot register: the run is over");
  const table: unknown[] = role === "cache" ? st.caches : st.clients;
  const free = (x: unknown) =>
    role === "cache" ? x === undefined || (x as CacheSlot).lost : x === false;
  const empty = table.findIndex((x) => x === undefined || x === false);
  const index = asked ?? (empty >= 0 ? empty : table.findIndex(free));
  if (index < 0 || index >= table.length) {
    throw new ForesightError(
      "PROTOCOL",
      `Cannot register ${role}: all ${table.length} places are taken`,
    );
  }
  if (!free(table[index])) {
    throw new ForesightError("PROTOCOL", `Cannot register ${role} ${index}: already registered`);
  }
  let generation = 0;
  let rejoined = false;
  if (role === "cache") {
    if (host === undefined || port === undefined) {
      throw new ForesightError("PROTOCOL", "Cannot register cache: no advertised address");
    }
    const before = st.caches[index];
    generation = before === undefined ? 0 : before.generation + 1;
    rejoined = before !== undefined;
    st.caches[index] = {
      host,
      port,
      warm: false,
      lost: false,
      rejoined,
      generation,
      abandoned: new Set(),
      members: new Map(),
      pushedAt: new Map(),
    };
  } else st.clients[index] = true;
  origin.effect({ kind: "admit", role, index, generation });
  origin.report({ event: "register", role, index });
  origin.send({ role, index }, {
    type: "welcome",
    v: PROTOCOL_VERSION,
    index,
    scenario: st.s,
  });
  if (rejoined) {
    if (st.policy) rejoin(origin, index);
    else retake(origin, index);
  }
  // Every client gets the cache list exactly once, as soon as both it and
  // the last cache are registered (whichever comes second sends it).
  if (allCaches(st)) {
    const due = role === "cache" ? st.clients.map((_, i) => i) : [index];
    for (const i of due) {
      if (!st.clients[i] || st.toldCaches.has(i) || st.lostClients.has(i)) continue;
      st.toldCaches.add(i);
      origin.send(origin.party("client", i), cacheList(origin.st));
    }
  }
}

/** The caches alive now (a lost one is left out: clients fetch its share from the origin). */
function cacheList(st: OriginState): ControlMessage {
  return {
    type: "caches",
    caches: st.caches.flatMap((c, index) =>
      c && !c.lost ? [{ index, host: c.host, port: c.port, generation: c.generation }] : []
    ),
  };
}

/** Sends a client a message, unless it is lost. */
export function toClient(origin: OriginEngine, client: number, message: ControlMessage): void {
  if (origin.st.clients[client] && !origin.st.lostClients.has(client)) {
    origin.send(origin.party("client", client), message);
  }
}

/**
 * A cache took the place of one lost before the warm-up began: it is warmed
 * like any other, and clients told the caches already get the new list.
 */
function retake(origin: OriginEngine, index: number): void {
  origin.st.caches[index]!.rejoined = false;
  origin.summary.rejoinedCaches++;
  origin.report({ event: "cache-rejoined", index });
  for (const i of origin.st.toldCaches) toClient(origin, i, cacheList(origin.st));
}

/**
 * A cache took a lost one's place once the warm-up began: each client is
 * told where it is and which of its files to fetch there again (in the
 * order the cache gets them), then the cache is started empty with its
 * first hint.
 */
function rejoin(origin: OriginEngine, index: number): void {
  const st = origin.st;
  const slot = st.caches[index]!;
  const policy = st.policy!;
  origin.summary.rejoinedCaches++;
  const upcoming = policy.upcoming?.(index);
  let told = 0;
  for (let c = 0; c < st.s.clients; c++) {
    if (!st.clients[c] || st.lostClients.has(c) || st.done.has(c)) continue;
    const mine = upcoming ?? [...(st.lists[c] ?? [])].sort((a, b) => a - b);
    told++;
    origin.send(origin.party("client", c), {
      type: "rejoin",
      cache: index,
      generation: slot.generation,
      host: slot.host,
      port: slot.port,
      files: mine.filter((f) => owes(st, c, index, f)),
    });
  }
  origin.log("info", "cache rejoined; clients told", { cache: index, clients: told });
  origin.report({ event: "cache-rejoined", index });
  origin.send({ role: "cache", index }, { type: "start", next: policy.hint(index) });
}
