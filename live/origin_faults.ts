/**
 * What the origin does when a role fails, in any phase of the run: a cache
 * lost (its files come back to the origin), a client lost (its demand is
 * released), a cache restarted in a lost one's place (clients are sent back
 * to it).
 *
 * @module
 */

import { type OriginState, runPhase } from "./origin_state.ts";
import type { Peer } from "./peer.ts";

/**
 * A cache is gone, in whatever phase: nothing more is pushed to it, and the
 * origin serves the files whose demand it held (clients fall back by
 * themselves); a warm-up no longer waits for it. Only the cache on `peer` is
 * lost: a failure noticed late on a connection whose place another cache has
 * taken since changes nothing. After the stop, nothing is lost any more.
 *
 * @example
 * ```ts
 * loseCache(st, 0, peer, "connection reset");
 * ```
 */
export function loseCache(st: OriginState, index: number, peer: Peer, reason: string): void {
  const slot = st.caches[index];
  if (!slot || slot.peer !== peer || slot.lost || st.finished) return;
  slot.lost = true;
  st.summary.lostCaches++;
  const phase = runPhase(st);
  st.summary.lost.push({ role: "cache", index, phase, reason });
  // Its files come back to the origin (with no count: the requests still to
  // come for them are served directly); a cache taking its place starts empty.
  for (const f of st.ledger.reclaim(index)) st.orphaned.add(f);
  st.log.log("warn", "cache lost; its clients fall back to the origin", {
    cache: index,
    phase,
    reason,
  });
  st.emit({ event: "cache-lost", index, phase, reason });
  st.advance();
}

/**
 * Tells `cache` that `client` will not fetch there the files whose pushes
 * carried its requests: the cache forgoes those it has not served it yet, so
 * their space frees.
 */
function release(st: OriginState, cache: number, client: number): void {
  const slot = st.caches[cache];
  if (!slot || slot.lost) return;
  const files: number[] = [];
  for (const [f, members] of slot.members) if (members.includes(client)) files.push(f);
  slot.peer.send({ type: "release", client, files }).catch(() => {});
}

/**
 * A client is gone, in whatever phase: the requests it will never make are
 * withdrawn from the origin's ledger, and each cache is told to forgo what it
 * owed it, so its space frees; the others carry on (a warm-up no longer waits
 * for its list). A client that said `done`, or any after the stop, is not lost.
 *
 * @example
 * ```ts
 * loseClient(st, 2, "connection reset");
 * ```
 */
export function loseClient(st: OriginState, index: number, reason: string): void {
  if (st.lostClients.has(index) || st.done.has(index) || st.finished) return;
  st.lostClients.add(index);
  st.summary.lostClients++;
  const phase = runPhase(st);
  st.summary.lost.push({ role: "client", index, phase, reason });
  st.log.log("warn", "client lost; releasing its demand", { client: index, phase, reason });
  st.emit({ event: "client-lost", index, phase, reason });
  // Its requests still at the origin are withdrawn (pushes yet to come leave
  // it out, see pushMembers); those a push carried already are forgone there
  // (once: a cache it had cut itself off from was told then).
  for (const f of st.lists[index] ?? []) {
    if (!st.servedTo[index]!.has(f) && !st.carried[index]!.has(f)) st.ledger.cancel(f);
  }
  for (let c = 0; c < st.caches.length; c++) {
    if (!st.caches[c]?.abandoned.has(index)) release(st, c, index);
  }
  if (st.done.size + st.lostClients.size === st.s.clients) {
    st.stopAll("every client is done or gone");
  } else st.advance();
}

/**
 * A client cannot reach a cache any more, which lives on (the connection
 * broke, perhaps mid-file): that cache forgoes what it owed the client, later
 * pushes leave it out, and the origin serves it that cache's files. A `lost`
 * about an earlier cache in that place (`generation`) changes nothing.
 *
 * @example
 * ```ts
 * cutLink(st, 1, 0, 0);
 * ```
 */
export function cutLink(st: OriginState, client: number, cache: number, generation: number): void {
  const slot = st.caches[cache];
  if (!slot || slot.lost || slot.generation !== generation || slot.abandoned.has(client)) return;
  slot.abandoned.add(client);
  st.summary.cutLinks++;
  st.log.log("warn", "a client lost its cache; the origin serves it that cache's files", {
    client,
    cache,
  });
  st.emit({ event: "link-cut", client, cache });
  release(st, cache, client);
}

/**
 * Whether `client` still wants `file` from `cache`: its route, not served by
 * the origin, not carried by an earlier push (served there, or forgone), not
 * gone, and it can reach that cache.
 */
function owes(st: OriginState, client: number, cache: number, file: number): boolean {
  return !st.lostClients.has(client) && !st.done.has(client) &&
    !st.servedTo[client]!.has(file) && !st.carried[client]!.has(file) &&
    st.routeOf[client]!.get(file) === cache && !st.caches[cache]!.abandoned.has(client);
}

/**
 * The clients whose requests a push of `file` into `cache` carries: exactly
 * those that will ask that cache for it (routed there, not served meanwhile,
 * not gone, able to reach it), at most as many as the policy says and the
 * origin still owns. Pull-through caches own no demand: none.
 *
 * @example
 * ```ts
 * const members = pushMembers(st, 0, 42); // push file 42 with count members.length
 * ```
 */
export function pushMembers(st: OriginState, cache: number, file: number): number[] {
  const most = Math.min(
    st.policy!.pushCount?.(cache, file) ?? Infinity,
    st.ledger.outstanding(file),
  );
  if (most === 0) return [];
  const members: number[] = [];
  for (let c = 0; c < st.s.clients; c++) if (owes(st, c, cache, file)) members.push(c);
  if (members.length > most) {
    st.log.log("warn", "more clients routed through a cache than requests owed", {
      cache,
      file,
      routed: members.length,
      owed: most,
    });
    members.length = most;
  }
  return members;
}

/**
 * A cache took a lost one's place mid-run: each client is told where it is
 * and which of its files to fetch there again (in the order the cache gets
 * them), then the cache is started empty with its first hint.
 *
 * @example
 * ```ts
 * await rejoin(st, 0);
 * ```
 */
export async function rejoin(st: OriginState, index: number): Promise<void> {
  const slot = st.caches[index]!;
  const policy = st.policy!;
  st.summary.rejoinedCaches++;
  const upcoming = policy.upcoming?.(index);
  let told = 0;
  for (let c = 0; c < st.s.clients; c++) {
    const peer = st.clients[c];
    if (!peer || st.lostClients.has(c) || st.done.has(c)) continue;
    const mine = upcoming ?? [...st.routeOf[c]!.keys()].sort((a, b) => a - b);
    told++;
    // A client that cannot be told is lost (its own connection says why).
    await peer.send({
      type: "rejoin",
      cache: index,
      generation: slot.generation,
      host: slot.address.host,
      port: slot.address.port,
      files: mine.filter((f) => owes(st, c, index, f)),
    }).catch((e) => loseClient(st, c, (e as Error).message));
  }
  st.log.log("info", "cache rejoined; clients told", { cache: index, clients: told });
  st.emit({ event: "cache-rejoined", index });
  await slot.peer.send({ type: "start", next: policy.hint(index) });
}
