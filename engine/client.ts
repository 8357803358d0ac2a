/**
 * The client as a state machine without I/O: what to fetch from where (its
 * policy decides), which sources are busy, lost or coming back and under
 * which generation, and the counters. Its drivers — the live client over
 * sockets, the simulator over its link model — hand in what happened with
 * {@link ClientEngine.handle} and carry out the effects it returns, in order.
 * Bytes stay with the driver: it reads them, verifies them and says
 * `fileEnded` with whether every byte was right.
 *
 * @module
 */

import type { LogFields, LogLevel } from "../core/log.ts";
import { makeClientPolicy } from "../core/policy_registry.ts";
import { type ClientPolicy, ORIGIN_SOURCE, type Source } from "../core/policy.ts";
import type { Scenario } from "../core/scenario.ts";
import { ForesightError } from "../errors.ts";
import type {
  ClientCounters,
  ClientEffect,
  ClientInput,
  RejoinInput,
  StartedInput,
} from "./client_io.ts";

export type * from "./client_io.ts";

/** What a {@link ClientEngine} is built from. */
export interface ClientEngineOptions {
  /** The run's scenario (its policy and number of cache places). */
  readonly scenario: Scenario;
  /** This client's request list. */
  readonly list: readonly number[];
  /** A file's size in bytes (default: file n is n KiB). */
  readonly size?: (file: number) => number;
  /** The policy to drive (default: `makeClientPolicy(scenario, list)`). */
  readonly policy?: ClientPolicy;
}

/** A cache place: who holds it (`generation`) and whether this client can use it. */
interface Place {
  generation: number;
  /** `up`: connected; `joining`: a `join` is under way; `down`: lost. */
  state: "up" | "joining" | "down";
}

/** A request sent and not yet answered, and the transfer answering it once it began. */
interface Outstanding {
  readonly file: number;
  /** When it was asked (the model's time). */
  readonly at: number;
  transfer?: { readonly size: number; readonly due: number | undefined };
}

/**
 * A client's decisions, driven by hand or by a driver.
 *
 * @example
 * ```ts
 * const engine = new ClientEngine({ scenario: CANONICAL, list: [2, 3] });
 * engine.handle({ type: "started" }, 0); // [request 2 from cache 0, request 3 from cache 1]
 * engine.handle({ type: "fileBegan", source: 0, file: 2, size: 2048, kind: "hit" }, 5);
 * engine.handle({ type: "fileEnded", source: 0, file: 2, ok: true }, 6); // []
 * ```
 */
export class ClientEngine {
  readonly #policy: ClientPolicy;
  readonly #caches: number;
  readonly #size: (file: number) => number;
  readonly #places: Place[];
  readonly #outstanding = new Map<Source, Outstanding>();
  /** Scratch set of the sources not to ask now (reused by every poll). */
  readonly #busy = new Set<Source>();
  /** `rejoin`s that came before the start, handled at the start in order. */
  readonly #early: RejoinInput[] = [];
  #started = false;
  #finished = false;
  readonly #counters: ClientCounters = {
    files: 0,
    verified: 0,
    corrupt: 0,
    hits: 0,
    misses: 0,
    fromOrigin: 0,
    lostSources: 0,
    regainedSources: 0,
  };

  /** @param options the scenario, the request list, optionally a size function and a policy */
  constructor(options: ClientEngineOptions) {
    this.#policy = options.policy ?? makeClientPolicy(options.scenario, options.list);
    this.#caches = options.scenario.caches;
    this.#size = options.size ?? ((f) => f * 1024);
    this.#places = Array.from({ length: this.#caches }, () => ({ generation: 0, state: "up" }));
  }

  /** The counters so far (a copy). */
  get counters(): ClientCounters {
    return { ...this.#counters };
  }

  /** True once every file is in. */
  get finished(): boolean {
    return this.#finished;
  }

  /** True once `started` was handled. */
  get started(): boolean {
    return this.#started;
  }

  /** The sources with a request outstanding, and the file asked of each. */
  get outstanding(): ReadonlyMap<Source, number> {
    return new Map([...this.#outstanding].map(([s, o]) => [s, o.file]));
  }

  /** The generation of cache place `cache` as this client knows it. */
  generation(cache: Source): number {
    return this.#places[cache]?.generation ?? 0;
  }

  /**
   * Handles what happened at `now` (the driver's time) and returns what to do.
   *
   * @throws {ForesightError} PROTOCOL for what the peer must not send (a file
   *   not asked for, a miss not asked for, a rejoin of no such place, a stop
   *   before every file is in), CORRUPT for a file of the wrong size: before
   *   any state changes
   */
  handle(input: ClientInput, now: number): ClientEffect[] {
    const out: ClientEffect[] = [];
    switch (input.type) {
      case "planned":
        this.#policy.route(input.routes);
        break;
      case "started":
        this.#start(input, now, out);
        break;
      case "fileBegan": {
        const o = this.#asked(input.source, input.file, "accept file");
        if (o.transfer) {
          throw new ForesightError(
            "PROTOCOL",
            `Cannot accept file ${input.file} from source ${input.source}: it is being sent already`,
          );
        }
        const expected = this.#size(input.file);
        if (input.size !== expected) {
          throw new ForesightError(
            "CORRUPT",
            `Cannot accept file ${input.file}: size ${input.size}, expected ${expected}`,
          );
        }
        if (input.kind === "hit") this.#counters.hits++;
        else this.#counters.fromOrigin++;
        o.transfer = { size: input.size, due: input.due };
        break;
      }
      case "fileEnded": {
        const o = this.#asked(input.source, input.file, "end file");
        if (!o.transfer) {
          throw new ForesightError(
            "PROTOCOL",
            `Cannot end file ${input.file} from source ${input.source}: it never began`,
          );
        }
        this.#outstanding.delete(input.source);
        this.#counters.files++;
        if (input.ok) this.#counters.verified++;
        else {
          this.#counters.corrupt++;
          log(out, "error", "file failed verification", {
            file: input.file,
            source: input.source,
          });
        }
        this.#policy.received(input.file, input.source);
        // The sender said when the transfer was due to end; the bytes came
        // early or late by delays the model does not have. Decide as of then
        // (never later than now).
        this.#pump(Math.min(now, o.transfer.due ?? Infinity), out);
        break;
      }
      case "missed": {
        const o = this.#asked(input.source, input.file, "accept a miss for file");
        if (o.transfer) {
          throw new ForesightError(
            "PROTOCOL",
            `Cannot accept a miss for file ${input.file} from source ${input.source}: it is being sent`,
          );
        }
        this.#outstanding.delete(input.source);
        if (input.source !== ORIGIN_SOURCE) this.#counters.misses++;
        this.#policy.missed(input.file, input.source);
        // A miss is answered, in the model, the moment it was asked.
        this.#pump(o.at, out);
        break;
      }
      case "sourceLost": {
        const place = this.#places[input.source];
        if (
          this.#finished || !place || place.state !== "up" ||
          (input.generation !== undefined && input.generation !== place.generation)
        ) break;
        this.#lose(input.source, input.reason, out);
        this.#pump(now, out);
        break;
      }
      case "rejoin":
        if (input.cache < 0 || input.cache >= this.#caches || !Number.isInteger(input.cache)) {
          throw new ForesightError("PROTOCOL", `Cannot rejoin cache ${input.cache}: no such cache`);
        }
        if (!this.#started) this.#early.push(input);
        else {
          this.#rejoin(input, out);
          this.#pump(now, out);
        }
        break;
      case "joined": {
        const place = this.#places[input.cache];
        if (
          this.#finished || !place || place.state !== "joining" ||
          place.generation !== input.generation
        ) {
          out.push({ kind: "drop", source: input.cache, generation: input.generation });
          break;
        }
        place.state = "up";
        this.#counters.regainedSources++;
        out.push({ kind: "adopt", cache: input.cache, generation: input.generation });
        this.#pump(now, out);
        break;
      }
      case "joinFailed": {
        const place = this.#places[input.cache];
        if (
          this.#finished || !place || place.state !== "joining" ||
          place.generation !== input.generation
        ) break;
        place.state = "down";
        log(out, "warn", "cannot reach the rejoined cache", {
          cache: input.cache,
          reason: input.reason,
        });
        out.push({ kind: "tellLost", cache: input.cache, generation: input.generation });
        this.#policy.lost(input.cache);
        this.#pump(now, out);
        break;
      }
      case "stop":
        if (!this.#finished) {
          throw new ForesightError(
            "PROTOCOL",
            `Cannot finish: the origin stopped the run (${input.reason})`,
          );
        }
        break;
    }
    return out;
  }

  /** The request outstanding on `source` for `file`, or a PROTOCOL error saying what was asked. */
  #asked(source: Source, file: number, what: string): Outstanding {
    const o = this.#outstanding.get(source);
    if (o?.file !== file) {
      throw new ForesightError(
        "PROTOCOL",
        `Cannot ${what} ${file} from source ${source}: asked for ${o?.file ?? "nothing"}`,
      );
    }
    return o;
  }

  #start(input: StartedInput, now: number, out: ClientEffect[]): void {
    if (this.#started) throw new ForesightError("PROTOCOL", "Cannot start: started already");
    this.#started = true;
    if (input.routes) this.#policy.route(input.routes);
    for (const p of input.places ?? []) {
      const place = this.#places[p.cache];
      if (!place) continue;
      place.generation = p.generation;
      if (p.state === "joined") continue;
      place.state = "down";
      log(out, "warn", "no cache in this place at the start; its files come from the origin", {
        cache: p.cache,
      });
      this.#counters.lostSources++;
      if (p.state === "unjoinable") {
        out.push({ kind: "tellLost", cache: p.cache, generation: p.generation });
      }
      this.#policy.lost(p.cache);
    }
    for (const r of this.#early.splice(0)) this.#rejoin(r, out);
    this.#pump(now, out);
  }

  /**
   * A cache is gone: its partial file is dropped, and every file still meant
   * to come from it comes from the origin, which is told so first (the cache
   * may live on for others: it forgoes what it owed this client).
   */
  #lose(cache: Source, reason: string, out: ClientEffect[]): void {
    const place = this.#places[cache]!;
    log(out, "warn", "cache lost; fetching its files from the origin", { cache, reason });
    out.push({ kind: "drop", source: cache, generation: place.generation });
    place.state = "down";
    this.#outstanding.delete(cache);
    this.#counters.lostSources++;
    out.push({ kind: "tellLost", cache, generation: place.generation });
    this.#policy.lost(cache);
  }

  /**
   * A cache took place `r.cache`: the files listed come from it again. While
   * it is being joined the place counts as busy, so nothing is asked of it
   * yet and none of those files of the origin. A rejoin of the cache this
   * client knows already, or of an older one, changes nothing.
   */
  #rejoin(r: RejoinInput, out: ClientEffect[]): void {
    if (this.#finished) return;
    const place = this.#places[r.cache]!;
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
    if (place.state === "up") this.#lose(r.cache, "the origin says it was replaced", out);
    log(out, "info", "cache back; fetching its files from it again", {
      cache: r.cache,
      files: r.files.length,
    });
    place.generation = r.generation;
    place.state = "joining";
    this.#policy.regain(r.cache, r.files);
    out.push({
      kind: "join",
      cache: r.cache,
      generation: r.generation,
      host: r.host,
      port: r.port,
    });
  }

  /** Asks for what the policy wants now; `at` is when, in the model, this is decided. */
  #pump(at: number, out: ClientEffect[]): void {
    if (this.#finished || !this.#started) return;
    if (this.#policy.finished) {
      this.#finished = true;
      out.push({ kind: "finished" });
      return;
    }
    const busy = this.#busy;
    busy.clear();
    for (const k of this.#outstanding.keys()) busy.add(k);
    for (let k = 0; k < this.#places.length; k++) if (this.#places[k]!.state !== "up") busy.add(k);
    for (const f of this.#policy.poll(busy)) {
      if (busy.has(f.source) || (f.source !== ORIGIN_SOURCE && !this.#places[f.source])) {
        throw new ForesightError(
          "INTERNAL",
          `Cannot fetch file ${f.file}: source ${f.source} is busy, lost or unknown`,
        );
      }
      busy.add(f.source);
      this.#outstanding.set(f.source, { file: f.file, at });
      out.push({ kind: "request", source: f.source, file: f.file, at });
    }
  }
}

function log(out: ClientEffect[], level: LogLevel, message: string, fields?: LogFields): void {
  out.push({ kind: "log", level, message, fields });
}
