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
 * @module
 */

import { makeCachePolicy, makeClientPolicy } from "../../../core/policy_registry.ts";
import { ORIGIN_SOURCE } from "../../../core/policy.ts";
import type { CachePolicy, ClientPolicy } from "../../../core/policy.ts";
import type { Scenario } from "../../../core/scenario.ts";
import type { ControlMessage, RejoinMessage } from "../../../protocol/mod.ts";
import { type OriginEffect, OriginEngine, type OriginInput } from "../../../engine/origin.ts";
import { isForesightError } from "../../../errors.ts";

/** A fault, with its roles picked modulo how many there are. */
export interface Fault {
  readonly kind: "cache-lost" | "client-lost" | "link-lost" | "restart";
  readonly a: number;
  readonly b: number;
  /** How many deliveries happen before it strikes. */
  readonly after: number;
}

interface CacheRole {
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

interface ClientRole {
  readonly index: number;
  readonly list: readonly number[];
  joined: boolean;
  alive: boolean;
  policy?: ClientPolicy;
  started: boolean;
  stopped: boolean;
  doneSent: boolean;
  readonly sources: Map<number, CacheRole>;
  readonly generations: Map<number, number>;
  /** Places it has no cache of at the start; true: the origin must be told. */
  readonly unreachable: Map<number, boolean>;
  readonly rejoins: RejoinMessage[];
  readonly have: Set<number>;
}

/** How a schedule ended. */
export interface Outcome {
  engine: OriginEngine;
  stop: string | undefined;
  steps: number;
  clients: { index: number; alive: boolean; missing: number[] }[];
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
  const size = (f: number) => f * 1024;
  const engine = new OriginEngine(s, size);
  const channels = new Map<string, (() => void)[]>();
  const post = (channel: string, deliver: () => void) => {
    const q = channels.get(channel) ?? [];
    q.push(deliver);
    channels.set(channel, q);
  };
  const caches: (CacheRole | undefined)[] = new Array(s.caches).fill(undefined);
  const clients: ClientRole[] = lists.map((list, index) => ({
    index,
    list,
    joined: false,
    alive: true,
    started: false,
    stopped: false,
    doneSent: false,
    sources: new Map(),
    generations: new Map(),
    unreachable: new Map(Array.from({ length: s.caches }, (_, k) => [k, false])),
    rejoins: [],
    have: new Set(),
  }));
  let now = 0;
  let stop: string | undefined;
  let nextPort = 7000;
  const pullThrough = s.policy === "lru" || s.policy === "belady";

  // ---- the origin ----

  const origin = (input: OriginInput) => {
    if (stop !== undefined) return;
    const out = engine.handle(input, ++now);
    trace?.push(`> ${JSON.stringify(input)}`);
    for (const e of out) {
      if (e.kind !== "log" && e.kind !== "report") trace?.push(`  < ${JSON.stringify(e)}`);
    }
    for (const e of out) carryOut(e);
  };
  const carryOut = (e: OriginEffect) => {
    if (e.kind === "stop") stop = e.reason;
    if (e.kind !== "send" && e.kind !== "transfer") return;
    const { role, index } = e.to;
    if (role === "cache") {
      const cache = caches[index]!;
      post(`o>c${index}`, () => {
        if (!cache.alive) return;
        if (e.kind === "send") cacheFromOrigin(cache, e.message);
        else {
          cache.brain.pushed(e.file, e.size, e.count, e.next);
          wake(cache, e.file);
          refill(cache);
        }
      });
    } else {
      const client = clients[index]!;
      post(`o>l${index}`, () => {
        if (!client.alive) return;
        if (e.kind === "send") clientFromOrigin(client, e.message);
        else {
          client.policy!.received(e.file, ORIGIN_SOURCE);
          client.have.add(e.file);
          pump(client);
        }
      });
    }
  };
  /** A role joins; false when the origin refuses it. */
  const join = (role: "cache" | "client", index?: number): boolean => {
    let effects: OriginEffect[];
    try {
      effects = engine.handle(
        role === "cache"
          ? { type: "join", role, index, host: "192.0.2.1", port: nextPort++ }
          : { type: "join", role, index },
        ++now,
      );
    } catch (e) {
      if (isForesightError(e, "PROTOCOL")) return false;
      throw e;
    }
    const admit = effects[0]!;
    if (admit.kind !== "admit") throw new Error("the first effect of a join is not admit");
    if (role === "cache") {
      caches[admit.index] = {
        place: admit.index,
        generation: admit.generation,
        alive: true,
        warm: false,
        stopped: false,
        brain: makeCachePolicy(s, admit.index, { lists, size }),
        waiting: new Map(),
        servedTo: new Map(),
        gone: new Set(),
      };
    } else clients[admit.index]!.joined = true;
    for (const e of effects) carryOut(e);
    return true;
  };

  // ---- caches ----

  const toOrigin = (cache: CacheRole, input: OriginInput) =>
    post(`c${cache.place}.${cache.generation}>o`, () => cache.alive && origin(input));
  const refill = (cache: CacheRole) => {
    if (cache.stopped || !cache.warm) return;
    const file = cache.brain.refill();
    if (file !== null) toOrigin(cache, { type: "refill", cache: cache.place, file, at: now });
  };
  const wake = (cache: CacheRole, file: number) => {
    const parked = cache.waiting.get(file) ?? [];
    cache.waiting.delete(file);
    for (const c of parked) {
      if (!cache.gone.has(c)) serve(cache, c, file);
      else if (pullThrough && cache.brain.request(file, c) === "hit") cache.brain.served(file);
    }
  };
  const cacheFromOrigin = (cache: CacheRole, m: ControlMessage) => {
    switch (m.type) {
      case "start":
        cache.warm = true;
        if (m.next !== undefined) cache.brain.hinted(m.next);
        toOrigin(cache, { type: "warm", cache: cache.place });
        break;
      case "miss":
        cache.brain.declined(m.file, m.next ?? null);
        wake(cache, m.file);
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
    refill(cache);
  };
  /** Answers client `c`'s request for `file` (a hit is served whole at once). */
  const serve = (cache: CacheRole, c: number, file: number) => {
    if (cache.stopped) return;
    const outcome = cache.brain.request(file, c);
    trace?.push(`  cache ${cache.place}: client ${c} asks ${file}: ${outcome}`);
    if (outcome === "wait") {
      refill(cache);
      cache.waiting.set(file, [...cache.waiting.get(file) ?? [], c]);
      return;
    }
    if (outcome === "hit") {
      const got = cache.servedTo.get(c) ?? new Set();
      cache.servedTo.set(c, got.add(file));
      cache.brain.served(file);
      refill(cache);
    }
    const client = clients[c]!;
    post(`c${cache.place}>l${c}`, () => {
      if (!client.alive || client.sources.get(cache.place) !== cache) return;
      if (outcome === "hit") {
        client.policy!.received(file, cache.place);
        client.have.add(file);
      } else client.policy!.missed(file, cache.place);
      pump(client);
    });
  };

  // ---- clients ----

  const fromClient = (client: ClientRole, input: OriginInput) =>
    post(`l${client.index}>o`, () => client.alive && origin(input));
  const tellLost = (client: ClientRole, cache: number) =>
    fromClient(client, {
      type: "link-lost",
      client: client.index,
      cache,
      generation: client.generations.get(cache) ?? 0,
    });
  /** Connects to the cache in `place` if it is the one of `generation` and alive. */
  const connect = (client: ClientRole, place: number, generation: number): boolean => {
    const cache = caches[place];
    if (!cache?.alive || cache.generation !== generation) return false;
    client.sources.set(place, cache);
    return true;
  };
  /** The connection to `place` broke: before the start it is noted, after it the origin is told. */
  const lose = (client: ClientRole, place: number) => {
    const cache = client.sources.get(place);
    if (!cache) return;
    client.sources.delete(place);
    cache.gone.add(client.index);
    if (!client.started) return void client.unreachable.set(place, true);
    if (client.policy!.finished) return;
    tellLost(client, place);
    client.policy!.lost(place);
    pump(client);
  };
  const rejoin = (client: ClientRole, m: RejoinMessage) => {
    if (client.policy!.finished) return;
    if (client.sources.has(m.cache)) lose(client, m.cache);
    client.generations.set(m.cache, m.generation);
    client.policy!.regain(m.cache, m.files);
    if (!connect(client, m.cache, m.generation)) {
      tellLost(client, m.cache);
      client.policy!.lost(m.cache);
    }
  };
  const clientFromOrigin = (client: ClientRole, m: ControlMessage) => {
    switch (m.type) {
      case "welcome":
        return;
      case "caches": {
        const listed = new Map(m.caches.map((c) => [c.index, c]));
        for (let k = 0; k < s.caches; k++) {
          const c = listed.get(k);
          if (!c) {
            client.sources.delete(k);
            client.unreachable.set(k, false);
          } else if (
            !client.sources.has(k) || client.generations.get(k) !== (c.generation ?? 0)
          ) {
            client.generations.set(k, c.generation ?? 0);
            client.sources.delete(k);
            if (connect(client, k, c.generation ?? 0)) client.unreachable.delete(k);
            else client.unreachable.set(k, true);
          }
        }
        if (!client.policy) {
          client.policy = makeClientPolicy(s, client.list);
          fromClient(client, { type: "list", client: client.index, files: client.list });
        }
        return;
      }
      case "plan":
        return client.policy!.route(m.routes);
      case "start":
        client.started = true;
        for (const [k, tell] of client.unreachable) {
          if (tell) tellLost(client, k);
          client.policy!.lost(k);
        }
        for (const r of client.rejoins.splice(0)) rejoin(client, r);
        return pump(client);
      case "rejoin":
        if (!client.started) client.rejoins.push(m);
        else {
          rejoin(client, m);
          pump(client);
        }
        return;
      case "miss":
        client.policy!.missed(m.file, ORIGIN_SOURCE);
        return pump(client);
      default:
        throw new Error(`client ${client.index} cannot take "${m.type}"`);
    }
  };
  const pump = (client: ClientRole) => {
    if (!client.started || !client.alive) return;
    const policy = client.policy!;
    if (policy.finished) {
      if (!client.doneSent) fromClient(client, { type: "done", client: client.index });
      client.doneSent = true;
      return;
    }
    for (const { file, source } of policy.poll(new Set())) {
      if (source === ORIGIN_SOURCE) {
        fromClient(client, { type: "request", client: client.index, file, at: now });
        continue;
      }
      const cache = client.sources.get(source);
      if (!cache) {
        throw new Error(`client ${client.index} fetches ${file} from no source ${source}`);
      }
      trace?.push(`  client ${client.index} asks cache ${source} for ${file}`);
      // Nothing more comes through a connection once it broke.
      post(`l${client.index}>c${source}`, () => {
        if (cache.alive && !cache.gone.has(client.index)) serve(cache, client.index, file);
      });
    }
  };

  // ---- faults ----

  const strike = (f: Fault) => {
    trace?.push(`! ${JSON.stringify(f)}`);
    const cache = caches[f.a % s.caches];
    const client = clients[f.b % clients.length]!;
    switch (f.kind) {
      case "cache-lost": {
        if (!cache?.alive) return;
        cache.alive = false;
        for (const c of clients) {
          if (c.sources.get(cache.place) === cache) {
            post(`x>l${c.index}`, () => lose(c, cache.place));
          }
        }
        post("x>o", () =>
          origin({
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
        for (const c of caches) c?.gone.add(client.index);
        post("x>o", () => origin({ type: "client-lost", client: client.index, reason: "killed" }));
        return;
      case "link-lost":
        if (client.alive && client.started && cache) lose(client, cache.place);
        return;
      case "restart":
        if (caches.some((c) => c && !c.alive)) join("cache");
        return;
    }
  };

  // ---- the run ----

  const pending = [...faults].sort((x, y) => x.after - y.after);
  let delivered = 0;
  let steps = 0;
  for (; steps < maxSteps && stop === undefined; steps++) {
    if (pending.length > 0 && pending[0]!.after <= delivered) {
      strike(pending.shift()!);
      continue;
    }
    const moves: (() => void)[] = [];
    for (let k = 0; k < s.caches; k++) if (!caches[k]) moves.push(() => join("cache", k));
    for (const c of clients) if (!c.joined) moves.push(() => join("client", c.index));
    for (const q of channels.values()) {
      if (q.length > 0) {
        moves.push(() => {
          delivered++;
          q.shift()!();
        });
      }
    }
    if (moves.length === 0) {
      if (pending.length === 0) break;
      strike(pending.shift()!);
      continue;
    }
    moves[(choices[steps] ?? 0) % moves.length]!();
  }
  return {
    engine,
    stop,
    steps,
    clients: clients.map((c) => ({
      index: c.index,
      alive: c.alive,
      missing: c.list.filter((f) => !c.have.has(f)),
    })),
  };
}
