/**
 * A deterministic world around one origin engine, for property tests: caches
 * and clients played honestly with the real cache and client policies, every
 * message on a FIFO channel, and the caller choosing which channel delivers
 * next and when a fault strikes.
 *
 * What it models: registration in any order, `caches`/`list`/`plan`/`start`,
 * warm-up echoes, refills on the hints, hits, parked requests (`wait`) woken
 * by a push or a decline, misses to the origin and redirects back, `release`,
 * `rejoin`, `lost`, `done`; a cache lost (clients and the origin each notice
 * it later, in any order), a client lost, a client–cache link cut, and a new
 * cache joining (into a lost place, or refused while the origin still thinks
 * every place is taken).
 *
 * One liberty: a pull-through (lru, belady) cache takes back the parked
 * request of a client that is gone (asks again, and abandons the hit), so the
 * file it was promised to is not pinned. The live cache only drops it
 * (live/cache_clients.ts), which leaves the file unevictable: a cache that
 * then has no room waits forever (found by this test; a cache-side issue).
 *
 * What it does not model: bytes, time and capacity in flight (a push arrives whole;
 * a hit is served whole at once), a client lost before it joins (the origin
 * waits for its list: a live run would hang the same way), timeouts,
 * reconnects of a cut link, and failures of the origin itself.
 *
 * The caches are played in harness_caches.ts, the clients in harness_clients.ts.
 *
 * @module
 */

import { makeCachePolicy } from "../../../core/policies/policy_registry.ts";
import { ORIGIN_SOURCE } from "../../../core/policies/policy.ts";
import type { Scenario } from "../../../core/run/scenario.ts";
import { type OriginEffect, OriginEngine, type OriginInput } from "../../../engine/origin.ts";
import { isForesightError } from "../../../errors.ts";
import { cacheFromOrigin, type CacheRole, refill, wake } from "./harness_caches.ts";
import { clientFromOrigin, type ClientRole, lose, newClient, pump } from "./harness_clients.ts";

/** A fault, with its roles picked modulo how many there are. */
export interface Fault {
  readonly kind: "cache-lost" | "client-lost" | "link-lost" | "restart";
  readonly a: number;
  readonly b: number;
  /** How many deliveries happen before it strikes. */
  readonly after: number;
}

/** How a schedule ended. */
export interface Outcome {
  engine: OriginEngine;
  stop: string | undefined;
  steps: number;
  clients: { index: number; alive: boolean; missing: number[] }[];
}

/** The origin engine, its roles and the channels between them. */
export class World {
  readonly size = (f: number) => f * 1024;
  readonly engine: OriginEngine;
  /** Messages on their way, one FIFO per channel ("o>c0", "l1>o", …). */
  readonly channels = new Map<string, (() => void)[]>();
  readonly caches: (CacheRole | undefined)[];
  readonly clients: ClientRole[];
  readonly pullThrough: boolean;
  now = 0;
  /** How many messages were delivered (faults strike after so many). */
  delivered = 0;
  stop: string | undefined;
  #nextPort = 7000;

  constructor(
    readonly s: Scenario,
    readonly lists: readonly (readonly number[])[],
    readonly trace?: string[],
  ) {
    this.engine = new OriginEngine(s, this.size);
    this.caches = new Array(s.caches).fill(undefined);
    this.clients = lists.map((list, index) => newClient(index, list, s.caches));
    this.pullThrough = s.policy === "lru" || s.policy === "belady";
  }

  /** Queues `deliver` on `channel`. */
  post(channel: string, deliver: () => void): void {
    const q = this.channels.get(channel) ?? [];
    q.push(deliver);
    this.channels.set(channel, q);
  }

  /** The origin handles `input` and its effects are carried out. */
  origin(input: OriginInput): void {
    if (this.stop !== undefined) return;
    const out = this.engine.handle(input, ++this.now);
    this.trace?.push(`> ${JSON.stringify(input)}`);
    for (const e of out) {
      if (e.kind !== "log" && e.kind !== "report") this.trace?.push(`  < ${JSON.stringify(e)}`);
    }
    for (const e of out) this.#carryOut(e);
  }

  #carryOut(e: OriginEffect): void {
    if (e.kind === "stop") this.stop = e.reason;
    if (e.kind !== "send" && e.kind !== "transfer") return;
    const { role, index } = e.to;
    if (role === "cache") {
      const cache = this.caches[index]!;
      this.post(`o>c${index}`, () => {
        if (!cache.alive) return;
        if (e.kind === "send") cacheFromOrigin(this, cache, e.message);
        else {
          cache.brain.pushed(e.file, e.size, e.count, e.next);
          wake(this, cache, e.file);
          refill(this, cache);
        }
      });
    } else {
      const client = this.clients[index]!;
      this.post(`o>l${index}`, () => {
        if (!client.alive) return;
        if (e.kind === "send") clientFromOrigin(this, client, e.message);
        else {
          client.policy!.received(e.file, ORIGIN_SOURCE);
          client.have.add(e.file);
          pump(this, client);
        }
      });
    }
  }

  /** A role joins; false when the origin refuses it. */
  join(role: "cache" | "client", index?: number): boolean {
    let effects: OriginEffect[];
    try {
      effects = this.engine.handle(
        role === "cache"
          ? { type: "join", role, index, host: "192.0.2.1", port: this.#nextPort++ }
          : { type: "join", role, index },
        ++this.now,
      );
    } catch (e) {
      if (isForesightError(e, "PROTOCOL")) return false;
      throw e;
    }
    const admit = effects[0]!;
    if (admit.kind !== "admit") throw new Error("the first effect of a join is not admit");
    if (role === "cache") {
      this.caches[admit.index] = {
        place: admit.index,
        generation: admit.generation,
        alive: true,
        warm: false,
        stopped: false,
        brain: makeCachePolicy(this.s, admit.index, { lists: this.lists, size: this.size }),
        waiting: new Map(),
        servedTo: new Map(),
        gone: new Set(),
      };
    } else this.clients[admit.index]!.joined = true;
    for (const e of effects) this.#carryOut(e);
    return true;
  }

  /** A fault strikes (nothing happens when its roles are not there to strike). */
  strike(f: Fault): void {
    this.trace?.push(`! ${JSON.stringify(f)}`);
    const cache = this.caches[f.a % this.s.caches];
    const client = this.clients[f.b % this.clients.length]!;
    switch (f.kind) {
      case "cache-lost": {
        if (!cache?.alive) return;
        cache.alive = false;
        for (const c of this.clients) {
          if (c.sources.get(cache.place) === cache) {
            this.post(`x>l${c.index}`, () => lose(this, c, cache.place));
          }
        }
        this.post("x>o", () =>
          this.origin({
            type: "cache-lost",
            cache: cache.place,
            generation: cache.generation,
            reason: "killed",
          }));
        return;
      }
      case "client-lost":
        if (!client.joined || !client.alive) return;
        client.alive = false;
        for (const c of this.caches) c?.gone.add(client.index);
        this.post(
          "x>o",
          () => this.origin({ type: "client-lost", client: client.index, reason: "killed" }),
        );
        return;
      case "link-lost":
        if (client.alive && client.started && cache) lose(this, client, cache.place);
        return;
      case "restart":
        if (this.caches.some((c) => c && !c.alive)) this.join("cache");
        return;
    }
  }

  /** What may happen next: a role joins, or a channel delivers its next message. */
  moves(): (() => void)[] {
    const moves: (() => void)[] = [];
    for (let k = 0; k < this.s.caches; k++) {
      if (!this.caches[k]) moves.push(() => this.join("cache", k));
    }
    for (const c of this.clients) if (!c.joined) moves.push(() => this.join("client", c.index));
    for (const q of this.channels.values()) {
      if (q.length > 0) {
        moves.push(() => {
          this.delivered++;
          q.shift()!();
        });
      }
    }
    return moves;
  }
}

/**
 * Plays `s` with `lists` to its end: `choices` pick the channel that delivers
 * next (0 once they run out), `faults` strike in order of `after`.
 *
 * @throws whatever the engine or a policy throws; Error when a client polls a
 * source it has no connection to
 */
export function play(
  s: Scenario,
  lists: readonly (readonly number[])[],
  faults: readonly Fault[],
  choices: readonly number[],
  trace?: string[],
  maxSteps = 20_000,
): Outcome {
  const w = new World(s, lists, trace);
  const pending = [...faults].sort((x, y) => x.after - y.after);
  let steps = 0;
  for (; steps < maxSteps && w.stop === undefined; steps++) {
    if (pending.length > 0 && pending[0]!.after <= w.delivered) {
      w.strike(pending.shift()!);
      continue;
    }
    const moves = w.moves();
    if (moves.length === 0) {
      if (pending.length === 0) break;
      w.strike(pending.shift()!);
      continue;
    }
    moves[(choices[steps] ?? 0) % moves.length]!();
  }
  return {
    engine: w.engine,
    stop: w.stop,
    steps,
    clients: w.clients.map((c) => ({
      index: c.index,
      alive: c.alive,
      missing: c.list.filter((f) => !c.have.has(f)),
    })),
  };
}
