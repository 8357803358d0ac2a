/**
 * What the origin engine does when a role fails, in any phase of the run: a
 * cache lost (its files come back to the origin), a client lost (its demand
 * is released), a link between a client and a cache cut (the origin serves
 * that client the cache's files).
 *
 * @module
 */

import type { OriginEngine } from "./origin.ts";
import { runPhase } from "./origin_state.ts";

/**
 * The cache of `generation` in place `index` is gone, in whatever phase:
 * nothing more is pushed to it, and the origin serves the files whose demand
 * it held (clients fall back by themselves); a warm-up no longer waits for
 * it. A failure noticed late, of a cache whose place another has taken since,
 * changes nothing; after the stop, nothing is lost any more. Returns whether
 * the cache was lost now.
 */
export function lose(
  origin: OriginEngine,
  index: number,
  generation: number,
  reason: string,
): boolean {
  const st = origin.st;
  const slot = st.caches[index];
  if (!slot || slot.generation !== generation || slot.lost || st.finished) return false;
  slot.lost = true;
  origin.summary.lostCaches++;
  const phase = runPhase(st);
  st.lost.push({ role: "cache", index, phase, reason });
  // Its files come back to the origin (with no count: the requests still to
  // come for them are served directly); a cache taking its place starts empty.
  for (const f of st.ledger.reclaim(index)) st.orphaned.add(f);
  origin.log("warn", "cache lost; its clients fall back to the origin", {
    cache: index,
    phase,
    reason,
  });
  origin.report({ event: "cache-lost", index, phase, reason });
  return true;
}

/**
 * A client is gone, in whatever phase: the requests it will never make are
 * withdrawn from the origin's ledger, and each cache is told to forgo what it
 * owed it, so its space frees; the others carry on (a warm-up no longer waits
 * for its list). A client that said `done`, or any after the stop, is not
 * lost. Returns whether the client was lost now.
 */
export function loseClient(origin: OriginEngine, index: number, reason: string): boolean {
  const st = origin.st;
  if (st.lostClients.has(index) || st.done.has(index) || st.finished) return false;
  st.lostClients.add(index);
  origin.summary.lostClients++;
  const phase = runPhase(st);
  st.lost.push({ role: "client", index, phase, reason });
  origin.log("warn", "client lost; releasing its demand", { client: index, phase, reason });
  origin.report({ event: "client-lost", index, phase, reason });
  // Its requests still at the origin are withdrawn (pushes yet to come leave
  // it out); those a push carried already are forgone there (once: a cache it
  // had cut itself off from was told then).
  for (const f of st.lists[index] ?? []) {
    if (!st.servedTo[index]!.has(f) && !st.carried[index]!.has(f)) st.ledger.cancel(f);
  }
  for (let c = 0; c < st.caches.length; c++) {
    if (!st.caches[c]?.abandoned.has(index)) release(origin, c, index);
  }
  return true;
}

/**
 * A client cannot reach a cache any more, which lives on: that cache
 * forgoes what it owed the client, later pushes leave it out, and the
 * origin serves it that cache's files. A `lost` about an earlier cache in
 * that place changes nothing.
 */
export function cutLink(
  origin: OriginEngine,
  client: number,
  cache: number,
  generation: number,
): void {
  const slot = origin.st.caches[cache];
  if (!slot || slot.lost || slot.generation !== generation || slot.abandoned.has(client)) return;
  slot.abandoned.add(client);
  origin.summary.cutLinks++;
  origin.log("warn", "a client lost its cache; the origin serves it that cache's files", {
    client,
    cache,
  });
  origin.report({ event: "link-cut", client, cache });
  release(origin, cache, client);
}

/**
 * Tells `cache` that `client` will not fetch there the files whose pushes
 * carried its requests: the cache forgoes those it has not served it yet.
 */
export function release(origin: OriginEngine, cache: number, client: number): void {
  const slot = origin.st.caches[cache];
  if (!slot || slot.lost) return;
  const files: number[] = [];
  for (const [f, members] of slot.members) if (members.includes(client)) files.push(f);
  origin.send(origin.party("cache", cache), { type: "release", client, files });
}
