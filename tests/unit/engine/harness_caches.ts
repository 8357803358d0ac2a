/**
 * The caches of origin_harness.ts, played honestly with the real cache
 * policies: warm-up echoes, refills on the hints, hits served whole at once,
 * requests parked (`wait`) until a push or a decline, `release`.
 *
 * @module
 */

import type { CachePolicy } from "../../../core/policies/policy.ts";
import type { ControlMessage } from "../../../protocol/mod.ts";
import type { OriginInput } from "../../../engine/origin.ts";
import { pump } from "./harness_clients.ts";
import type { World } from "./origin_harness.ts";

/** A cache in one place, of one generation. */
export interface CacheRole {
  readonly place: number;
  readonly generation: number;
  alive: boolean;
  warm: boolean;
  stopped: boolean;
  readonly brain: CachePolicy;
  readonly waiting: Map<number, number[]>;
  readonly servedTo: Map<number, Set<number>>;
  /** Clients whose connection to it broke. */
  readonly gone: Set<number>;
}

function toOrigin(w: World, cache: CacheRole, input: OriginInput): void {
  w.post(`c${cache.place}.${cache.generation}>o`, () => cache.alive && w.origin(input));
}

/** Asks the origin for the file the policy wants next (never during the warm-up). */
export function refill(w: World, cache: CacheRole): void {
  if (cache.stopped || !cache.warm) return;
  const file = cache.brain.refill();
  if (file !== null) toOrigin(w, cache, { type: "refill", cache: cache.place, file, at: w.now });
}

/** Asks again the requests parked on `file` (its push began or was declined). */
export function wake(w: World, cache: CacheRole, file: number): void {
  const parked = cache.waiting.get(file) ?? [];
  cache.waiting.delete(file);
  for (const c of parked) {
    if (!cache.gone.has(c)) serve(w, cache, c, file);
    else if (w.pullThrough && cache.brain.request(file, c) === "hit") cache.brain.served(file);
  }
}

/** A message from the origin arrives at `cache`. */
export function cacheFromOrigin(w: World, cache: CacheRole, m: ControlMessage): void {
  switch (m.type) {
    case "start":
      cache.warm = true;
      if (m.next !== undefined) cache.brain.hinted(m.next);
      toOrigin(w, cache, { type: "warm", cache: cache.place });
      break;
    case "miss":
      cache.brain.declined(m.file, m.next ?? null);
      wake(w, cache, m.file);
      break;
    case "release":
      for (const f of m.files) {
        if (cache.servedTo.get(m.client)?.has(f) || !cache.brain.store.get(f)) continue;
        cache.brain.forgo(f);
      }
      break;
    case "welcome":
      return;
    default:
      throw new Error(`cache ${cache.place} cannot take "${m.type}"`);
  }
  refill(w, cache);
}

/** Answers client `c`'s request for `file` (a hit is served whole at once). */
export function serve(w: World, cache: CacheRole, c: number, file: number): void {
  if (cache.stopped) return;
  const outcome = cache.brain.request(file, c);
  w.trace?.push(`  cache ${cache.place}: client ${c} asks ${file}: ${outcome}`);
  if (outcome === "wait") {
    refill(w, cache);
    cache.waiting.set(file, [...cache.waiting.get(file) ?? [], c]);
    return;
  }
  if (outcome === "hit") {
    const got = cache.servedTo.get(c) ?? new Set();
    cache.servedTo.set(c, got.add(file));
    cache.brain.served(file);
    refill(w, cache);
  }
  const client = w.clients[c]!;
  w.post(`c${cache.place}>l${c}`, () => {
    if (!client.alive || client.sources.get(cache.place) !== cache) return;
    if (outcome === "hit") {
      client.policy!.received(file, cache.place);
      client.have.add(file);
    } else client.policy!.missed(file, cache.place);
    pump(w, client);
  });
}
