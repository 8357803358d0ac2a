/**
 * The clients of origin_harness.ts, played honestly with the real client
 * policies: `caches`/`list`/`plan`/`start`, requests to caches and the
 * origin, misses and redirects, a lost connection told to the origin,
 * `rejoin`, `done`.
 *
 * @module
 */

import { makeClientPolicy } from "../../../core/policies/policy_registry.ts";
import { ORIGIN_SOURCE } from "../../../core/policies/policy.ts";
import type { ClientPolicy } from "../../../core/policies/policy.ts";
import type { CachesMessage, ControlMessage, RejoinMessage } from "../../../protocol/mod.ts";
import type { OriginInput } from "../../../engine/origin.ts";
import { type CacheRole, serve } from "./harness_caches.ts";
import type { World } from "./origin_harness.ts";

/** A client and what it knows of the caches. */
export interface ClientRole {
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

/** A client of `list` that has not joined yet. */
export function newClient(index: number, list: readonly number[], caches: number): ClientRole {
  return {
    index,
    list,
    joined: false,
    alive: true,
    started: false,
    stopped: false,
    doneSent: false,
    sources: new Map(),
    generations: new Map(),
    unreachable: new Map(Array.from({ length: caches }, (_, k) => [k, false])),
    rejoins: [],
    have: new Set(),
  };
}

function fromClient(w: World, client: ClientRole, input: OriginInput): void {
  w.post(`l${client.index}>o`, () => client.alive && w.origin(input));
}

function tellLost(w: World, client: ClientRole, cache: number): void {
  fromClient(w, client, {
    type: "link-lost",
    client: client.index,
    cache,
    generation: client.generations.get(cache) ?? 0,
  });
}

/** Connects to the cache in `place` if it is the one of `generation` and alive. */
function connect(w: World, client: ClientRole, place: number, generation: number): boolean {
  const cache = w.caches[place];
  if (!cache?.alive || cache.generation !== generation) return false;
  client.sources.set(place, cache);
  return true;
}

/** The connection to `place` broke: before the start it is noted, after it the origin is told. */
export function lose(w: World, client: ClientRole, place: number): void {
  const cache = client.sources.get(place);
  if (!cache) return;
  client.sources.delete(place);
  cache.gone.add(client.index);
  if (!client.started) return void client.unreachable.set(place, true);
  if (client.policy!.finished) return;
  tellLost(w, client, place);
  client.policy!.lost(place);
  pump(w, client);
}

function rejoin(w: World, client: ClientRole, m: RejoinMessage): void {
  if (client.policy!.finished) return;
  if (client.sources.has(m.cache)) lose(w, client, m.cache);
  client.generations.set(m.cache, m.generation);
  client.policy!.regain(m.cache, m.files);
  if (!connect(w, client, m.cache, m.generation)) {
    tellLost(w, client, m.cache);
    client.policy!.lost(m.cache);
  }
}

/** The origin's `caches`: connects to the caches listed, notes the places without one. */
function takeCaches(
  w: World,
  client: ClientRole,
  m: CachesMessage,
): void {
  const listed = new Map(m.caches.map((c) => [c.index, c]));
  for (let k = 0; k < w.s.caches; k++) {
    const c = listed.get(k);
    if (!c) {
      client.sources.delete(k);
      client.unreachable.set(k, false);
    } else if (
      !client.sources.has(k) || client.generations.get(k) !== (c.generation ?? 0)
    ) {
      client.generations.set(k, c.generation ?? 0);
      client.sources.delete(k);
      if (connect(w, client, k, c.generation ?? 0)) client.unreachable.delete(k);
      else client.unreachable.set(k, true);
    }
  }
  if (!client.policy) {
    client.policy = makeClientPolicy(w.s, client.list);
    fromClient(w, client, { type: "list", client: client.index, files: client.list });
  }
}

/** A message from the origin arrives at `client`. */
export function clientFromOrigin(w: World, client: ClientRole, m: ControlMessage): void {
  switch (m.type) {
    case "welcome":
      return;
    case "caches":
      return takeCaches(w, client, m);
    case "plan":
      return client.policy!.route(m.routes);
    case "start":
      client.started = true;
      for (const [k, tell] of client.unreachable) {
        if (tell) tellLost(w, client, k);
        client.policy!.lost(k);
      }
      for (const r of client.rejoins.splice(0)) rejoin(w, client, r);
      return pump(w, client);
    case "rejoin":
      if (!client.started) client.rejoins.push(m);
      else {
        rejoin(w, client, m);
        pump(w, client);
      }
      return;
    case "miss":
      client.policy!.missed(m.file, ORIGIN_SOURCE);
      return pump(w, client);
    default:
      throw new Error(`client ${client.index} cannot take "${m.type}"`);
  }
}

/** Sends the requests the client's policy wants now, or `done` once it has everything. */
export function pump(w: World, client: ClientRole): void {
  if (!client.started || !client.alive) return;
  const policy = client.policy!;
  if (policy.finished) {
    if (!client.doneSent) fromClient(w, client, { type: "done", client: client.index });
    client.doneSent = true;
    return;
  }
  for (const { file, source } of policy.poll(new Set())) {
    if (source === ORIGIN_SOURCE) {
      fromClient(w, client, { type: "request", client: client.index, file, at: w.now });
      continue;
    }
    const cache = client.sources.get(source);
    if (!cache) {
      throw new Error(`client ${client.index} fetches ${file} from no source ${source}`);
    }
    w.trace?.push(`  client ${client.index} asks cache ${source} for ${file}`);
    // Nothing more comes through a connection once it broke.
    w.post(`l${client.index}>c${source}`, () => {
      if (cache.alive && !cache.gone.has(client.index)) serve(w, cache, client.index, file);
    });
  }
}
