/**
 * What the client engine does when a cache place changes hands: a place
 * found empty or unreachable at the start, a cache lost mid-run (its files
 * come from the origin), a cache taking a place again (`rejoin`), and the
 * join that follows succeeding or failing. Each handler returns whether the
 * engine should then ask for more (its `pump`).
 *
 * @module
 */

import type { Source } from "../core/policies/policy.ts";
import { ForesightError } from "../errors.ts";
import type {
  ClientEffect,
  JoinedInput,
  JoinFailedInput,
  RejoinInput,
  SourceLostInput,
  StartPlace,
} from "./client_io.ts";
import { type ClientState, log } from "./client_state.ts";

/**
 * Takes each cache place as the driver found it at the start: one not joined
 * is down from the start (its files come from the origin), and one listed but
 * unjoinable is reported to the origin.
 *
 * @param st the engine's state
 * @param places every cache place as found (a place not listed: joined, generation 0)
 * @param out where the effects go
 * @example
 * ```ts
 * placesAtStart(st, [{ cache: 1, generation: 0, state: "unjoinable" }], out); // out: log, tellLost
 * ```
 */
export function placesAtStart(
  st: ClientState,
  places: readonly StartPlace[],
  out: ClientEffect[],
): void {
  for (const p of places) {
    const place = st.places[p.cache];
    if (!place) continue;
    place.generation = p.generation;
    if (p.state === "joined") continue;
    place.state = "down";
    log(out, "warn", "no cache in this place at the start; its files come from the origin", {
      cache: p.cache,
    });
    st.counters.lostSources++;
    if (p.state === "unjoinable") {
      out.push({ kind: "tellLost", cache: p.cache, generation: p.generation });
    }
    st.policy.lost(p.cache);
  }
}

/**
 * The connection to a cache broke: the cache is lost, unless every file is
 * in already, the place is not up, or the connection was an older cache's.
 *
 * @returns whether the cache was lost now
 * @example
 * ```ts
 * if (handleSourceLost(st, { type: "sourceLost", source: 1, reason: "reset" }, out)) pump();
 * ```
 */
export function handleSourceLost(
  st: ClientState,
  input: SourceLostInput,
  out: ClientEffect[],
): boolean {
  const place = st.places[input.source];
  if (
    st.finished || !place || place.state !== "up" ||
    (input.generation !== undefined && input.generation !== place.generation)
  ) return false;
  lose(st, input.source, input.reason, out);
  return true;
}

/**
 * The origin says a cache took a place: before the start it is kept for the
 * start; after, the cache is joined (see {@link rejoin}).
 *
 * @returns whether it was handled now (false: kept for the start)
 * @throws {ForesightError} PROTOCOL for a place that does not exist, before any state changes
 * @example
 * ```ts
 * if (handleRejoin(st, { type: "rejoin", cache: 1, generation: 1, host, port, files: [4] }, out)) pump();
 * ```
 */
export function handleRejoin(st: ClientState, input: RejoinInput, out: ClientEffect[]): boolean {
  if (input.cache < 0 || input.cache >= st.places.length || !Number.isInteger(input.cache)) {
    throw new ForesightError("PROTOCOL", `Cannot rejoin cache ${input.cache}: no such cache`);
  }
  if (!st.started) {
    st.early.push(input);
    return false;
  }
  rejoin(st, input, out);
  return true;
}

/**
 * The connection a `join` asked for is up: adopted if the place still waits
 * for that cache, else dropped.
 *
 * @returns whether it was adopted
 * @example
 * ```ts
 * if (handleJoined(st, { type: "joined", cache: 1, generation: 1 }, out)) pump(); // out: adopt
 * ```
 */
export function handleJoined(st: ClientState, input: JoinedInput, out: ClientEffect[]): boolean {
  const place = st.places[input.cache];
  if (
    st.finished || !place || place.state !== "joining" ||
    place.generation !== input.generation
  ) {
    out.push({ kind: "drop", source: input.cache, generation: input.generation });
    return false;
  }
  place.state = "up";
  st.counters.regainedSources++;
  out.push({ kind: "adopt", cache: input.cache, generation: input.generation });
  return true;
}

/**
 * The connection a `join` asked for could not be made: if the place still
 * waits for that cache, it is down and the origin is told.
 *
 * @returns whether the place went down now
 * @example
 * ```ts
 * if (handleJoinFailed(st, { type: "joinFailed", cache: 1, generation: 1, reason }, out)) pump();
 * ```
 */
export function handleJoinFailed(
  st: ClientState,
  input: JoinFailedInput,
  out: ClientEffect[],
): boolean {
  const place = st.places[input.cache];
  if (
    st.finished || !place || place.state !== "joining" ||
    place.generation !== input.generation
  ) return false;
  place.state = "down";
  log(out, "warn", "cannot reach the rejoined cache", {
    cache: input.cache,
    reason: input.reason,
  });
  out.push({ kind: "tellLost", cache: input.cache, generation: input.generation });
  st.policy.lost(input.cache);
  return true;
}

/**
 * A cache is gone: its partial file is dropped, and every file still meant
 * to come from it comes from the origin, which is told so first (the cache
 * may live on for others: it forgoes what it owed this client).
 */
function lose(st: ClientState, cache: Source, reason: string, out: ClientEffect[]): void {
  const place = st.places[cache]!;
  log(out, "warn", "cache lost; fetching its files from the origin", { cache, reason });
  out.push({ kind: "drop", source: cache, generation: place.generation });
  place.state = "down";
  st.outstanding.delete(cache);
  st.counters.lostSources++;
  out.push({ kind: "tellLost", cache, generation: place.generation });
  st.policy.lost(cache);
}

/**
 * A cache took place `r.cache`: the files listed come from it again. While
 * it is being joined the place counts as busy, so nothing is asked of it
 * yet and none of those files of the origin. A rejoin of the cache this
 * client knows already, or of an older one, changes nothing.
 *
 * @param st the engine's state
 * @param r the rejoin, checked already
 * @param out where the effects go
 * @example
 * ```ts
 * for (const r of st.early.splice(0)) rejoin(st, r, out);
 * ```
 */
export function rejoin(st: ClientState, r: RejoinInput, out: ClientEffect[]): void {
  if (st.finished) return;
  const place = st.places[r.cache]!;
  if (
    r.generation < place.generation ||
    (r.generation === place.generation && place.state !== "down")
  ) {
    log(out, "debug", "rejoin of a cache known already ignored", {
      cache: r.cache,
      generation: r.generation,
      known: place.generation,
    });
    return;
  }
  if (place.state === "up") lose(st, r.cache, "the origin says it was replaced", out);
  log(out, "info", "cache back; fetching its files from it again", {
    cache: r.cache,
    files: r.files.length,
  });
  place.generation = r.generation;
  place.state = "joining";
  st.policy.regain(r.cache, r.files);
  out.push({
    kind: "join",
    cache: r.cache,
    generation: r.generation,
    host: r.host,
    port: r.port,
  });
}
