/**
 * What the origin does when a role fails mid-run: a cache lost (its files
 * come back to the origin), a client lost (its demand is released), a cache
 * restarted in a lost one's place (clients are sent back to it).
 *
 * @module
 */

import type { OriginState } from "./origin_state.ts";
import type { Peer } from "./peer.ts";

/**
 * A cache is gone mid-run: nothing more is pushed to it, and the origin
 * serves the files whose demand it held (clients fall back by themselves).
 * Only the cache on `peer` is lost: a failure noticed late on a connection
 * whose place another cache has taken since changes nothing.
 *
 * @example
 * ```ts
 * loseCache(st, 0, peer, "connection reset");
 * ```
 */
export function loseCache(st: OriginState, index: number, peer: Peer, reason: string): void {
  const slot = st.caches[index];
  if (!slot || slot.peer !== peer || slot.lost) return;
  slot.lost = true;
  st.summary.lostCaches++;
  // Its files come back to the origin (with no count: the requests still to
  // come for them are served directly); a cache taking its place starts empty.
  for (const f of st.ledger.reclaim(index)) st.orphaned.add(f);
  st.log.log("warn", "cache lost; its clients fall back to the origin", { cache: index, reason });
  st.emit({ event: "cache-lost", index, reason });
}

/**
 * A client is gone mid-run: the requests it will never make are withdrawn
 * from the origin's ledger, and each cache is told to forgo what it owed it,
 * so its space frees; the others carry on.
 *
 * @example
 * ```ts
 * loseClient(st, 2, "connection reset");
 * ```
 */
export function loseClient(st: OriginState, index: number, reason: string): void {
  const { policy, ledger } = st;
  if (st.lostClients.has(index) || st.done.has(index)) return;
  st.lostClients.add(index);
  st.summary.lostClients++;
  st.log.log("warn", "client lost; releasing its demand", { client: index, reason });
  st.emit({ event: "client-lost", index, reason });
  // Where its share of each file still is: at the origin (withdraw it, and a
  // push yet to come carries one request less), or in a cache already (that
  // cache forgoes it on `release`).
  const via = new Map(policy?.routes(index) ?? []);
  for (const f of st.lists[index] ?? []) {
    if (st.servedTo[index]!.has(f)) continue;
    const source = via.get(f);
    if (source !== undefined && source >= 0) {
      if (st.pushed.has(f)) continue;
      policy?.forgo?.(index, f);
    }
    ledger.cancel(f);
  }
  for (const c of st.caches) {
    if (c && !c.lost) c.peer.send({ type: "release", client: index }).catch(() => {});
  }
  if (st.done.size + st.lostClients.size === st.s.clients) {
    st.stopAll("every client is done or gone");
  }
}

/** Whether `client` still wants `file` from `cache` (its route, not yet served, not gone). */
function owes(st: OriginState, client: number, cache: number, file: number): boolean {
  return !st.lostClients.has(client) && !st.done.has(client) &&
    !st.servedTo[client]!.has(file) && st.routeOf[client]!.get(file) === cache;
}

/**
 * How many requests a push of `file` into a cache that took a lost one's
 * place carries: those of exactly the clients that will ask it for the file
 * (routed there, not served meanwhile, not gone). Pull-through caches own no
 * demand: 0.
 *
 * @example
 * ```ts
 * const n = rejoinedCount(st, 0, 42);
 * ```
 */
export function rejoinedCount(st: OriginState, cache: number, file: number): number {
  if (st.policy!.pushCount?.(cache, file) === 0) return 0;
  let n = 0;
  for (let c = 0; c < st.s.clients; c++) if (owes(st, c, cache, file)) n++;
  return Math.min(n, st.ledger.outstanding(file));
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
  for (let c = 0; c < st.s.clients; c++) {
    const peer = st.clients[c];
    if (!peer || st.lostClients.has(c) || st.done.has(c)) continue;
    const mine = upcoming ?? [...st.routeOf[c]!.keys()].sort((a, b) => a - b);
    slot.told.add(c);
    await peer.send({
      type: "rejoin",
      cache: index,
      host: slot.address.host,
      port: slot.address.port,
      files: mine.filter((f) => owes(st, c, index, f)),
    });
  }
  st.log.log("info", "cache rejoined; clients told", { cache: index, clients: slot.told.size });
  st.emit({ event: "cache-rejoined", index });
  await slot.peer.send({ type: "start", next: policy.hint(index) });
}
