/**
 * The client as a state machine without I/O: what to fetch from where (its
 * policy decides), which sources are busy, lost or coming back and under
 * which generation, and the counters. Its drivers — the live client over
 * sockets, the simulator over its link model — hand in what happened with
 * {@link ClientEngine.handle} and carry out the effects it returns, in order.
 * Bytes stay with the driver: it reads them, verifies them and says
 * `fileEnded` with whether every byte was right. What a lost or returning
 * cache changes is in engine/client_faults.ts; the state in client_state.ts.
 *
 * @module
 */

import { makeClientPolicy } from "../core/policies/policy_registry.ts";
import {
  type Busy,
  type ClientPolicy,
  ORIGIN_SOURCE,
  type Source,
} from "../core/policies/policy.ts";
import type { Scenario } from "../core/run/scenario.ts";
import { ForesightError } from "../errors.ts";
import type {
  ClientCounters,
  ClientEffect,
  ClientInput,
  FileBeganInput,
  FileEndedInput,
  MissedInput,
  StartedInput,
} from "./client_io.ts";
import { type ClientState, clientState, log, type Outstanding } from "./client_state.ts";
import {
  handleJoined,
  handleJoinFailed,
  handleRejoin,
  handleSourceLost,
  placesAtStart,
  rejoin,
} from "./client_faults.ts";

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

/** No effects (shared; callers only read it). */
const NONE = Object.freeze([]) as unknown as ClientEffect[];

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
  readonly #st: ClientState;
  readonly #size: (file: number) => number;
  /** The sources not to ask now, as a view of the state (nothing rebuilt per poll). */
  readonly #busy: Busy;
  /** Where effects gather during one `handle` (always empty between calls). */
  readonly #scratch: ClientEffect[] = [];

  /** @param options the scenario, the request list, optionally a size function and a policy */
  constructor(options: ClientEngineOptions) {
    const policy = options.policy ?? makeClientPolicy(options.scenario, options.list);
    const st = this.#st = clientState(policy, options.scenario.caches);
    this.#busy = {
      has: (source) =>
        st.outstanding.has(source) ||
        (source >= 0 && source < st.places.length && st.places[source]!.state !== "up"),
    };
    this.#size = options.size ?? ((f) => f * 1024);
  }

  /** The counters so far (a copy). */
  get counters(): ClientCounters {
    return { ...this.#st.counters };
  }

  /** True once every file is in. */
  get finished(): boolean {
    return this.#st.finished;
  }

  /** True once `started` was handled. */
  get started(): boolean {
    return this.#st.started;
  }

  /** The sources with a request outstanding, and the file asked of each. */
  get outstanding(): ReadonlyMap<Source, number> {
    return new Map([...this.#st.outstanding.entries()].map(([s, o]) => [s, o.file]));
  }

  /** The generation of cache place `cache` as this client knows it. */
  generation(cache: Source): number {
    return this.#st.places[cache]?.generation ?? 0;
  }

  /**
   * Handles what happened at `now` (the driver's time) and returns what to do.
   *
   * @param input what happened
   * @param now the driver's time
   * @throws {ForesightError} PROTOCOL for what the peer must not send (a file
   *   not asked for, a miss not asked for, a rejoin of no such place, a stop
   *   before every file is in), CORRUPT for a file of the wrong size: before
   *   any state changes
   */
  handle(input: ClientInput, now: number): ClientEffect[] {
    const st = this.#st;
    // The two inputs that never have effects share one empty list.
    if (input.type === "planned") {
      st.policy.route(input.routes);
      return NONE;
    }
    if (input.type === "fileBegan") {
      this.#fileBegan(input);
      return NONE;
    }
    // Effects gather in a scratch list (handle is synchronous: nothing else
    // uses it meanwhile) and leave as a fresh list of exactly their number.
    const out = this.#scratch;
    out.length = 0; // (left over only if a previous call threw)
    switch (input.type) {
      case "started":
        this.#start(input, now, out);
        break;
      case "fileEnded":
        this.#fileEnded(input, now, out);
        break;
      case "file":
        this.#fileBegan(input);
        this.#fileEnded(input, now, out);
        break;
      case "missed":
        this.#missed(input, out);
        break;
      case "sourceLost":
        if (handleSourceLost(st, input, out)) this.#pump(now, out);
        break;
      case "rejoin":
        if (handleRejoin(st, input, out)) this.#pump(now, out);
        break;
      case "joined":
        if (handleJoined(st, input, out)) this.#pump(now, out);
        break;
      case "joinFailed":
        if (handleJoinFailed(st, input, out)) this.#pump(now, out);
        break;
      case "stop":
        if (!st.finished) {
          throw new ForesightError(
            "PROTOCOL",
            `Cannot finish: the origin stopped the run (${input.reason})`,
          );
        }
        break;
    }
    return this.#take(out);
  }

  /** The effects gathered in `out` as a fresh list, `out` left empty. */
  #take(out: ClientEffect[]): ClientEffect[] {
    const n = out.length;
    if (n === 0) return NONE;
    // Copied by hand: `splice(0)` costs several times as much, and most inputs have one effect.
    const list = n === 1 ? [out[0]!] : out.slice();
    out.length = 0;
    return list;
  }

  /** The origin said start: the places as found, the rejoins that came early, then the first requests. */
  #start(input: StartedInput, now: number, out: ClientEffect[]): void {
    const st = this.#st;
    if (st.started) throw new ForesightError("PROTOCOL", "Cannot start: started already");
    st.started = true;
    if (input.routes) st.policy.route(input.routes);
    placesAtStart(st, input.places ?? [], out);
    for (const r of st.early.splice(0)) rejoin(st, r, out);
    this.#pump(now, out);
  }

  /** A source began sending a file it was asked for, of the right size: a hit or one from the origin. */
  #fileBegan(input: Omit<FileBeganInput, "type">): void {
    const o = this.#asked(input.source, input.file, "accept file");
    if (o.began) {
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
    if (input.kind === "hit") this.#st.counters.hits++;
    else this.#st.counters.fromOrigin++;
    o.began = true;
    o.due = input.due;
  }

  /** A file is in (verified or not): counted, and the source is asked again. */
  #fileEnded(input: Omit<FileEndedInput, "type">, now: number, out: ClientEffect[]): void {
    const st = this.#st;
    const o = this.#asked(input.source, input.file, "end file");
    if (!o.began) {
      throw new ForesightError(
        "PROTOCOL",
        `Cannot end file ${input.file} from source ${input.source}: it never began`,
      );
    }
    st.outstanding.delete(input.source);
    st.counters.files++;
    if (input.ok) st.counters.verified++;
    else {
      st.counters.corrupt++;
      log(out, "error", "file failed verification", { file: input.file, source: input.source });
    }
    st.policy.received(input.file, input.source);
    // The sender said when the transfer was due to end; the bytes came
    // early or late by delays the model does not have. Decide as of then,
    // early bytes included: a pacer sends each chunk at the start of its
    // slot, so the last one lands up to a slot before the modelled end, and
    // a request dated from its arrival would come before the sender's own
    // end of the transfer (a cache's eviction and refill), as it never does
    // in the model.
    this.#pump(o.due ?? now, out);
  }

  /** A source answered a miss: the policy picks another source for the file. */
  #missed(input: MissedInput, out: ClientEffect[]): void {
    const st = this.#st;
    const o = this.#asked(input.source, input.file, "accept a miss for file");
    if (o.began) {
      throw new ForesightError(
        "PROTOCOL",
        `Cannot accept a miss for file ${input.file} from source ${input.source}: it is being sent`,
      );
    }
    st.outstanding.delete(input.source);
    if (input.source !== ORIGIN_SOURCE) st.counters.misses++;
    st.policy.missed(input.file, input.source);
    // A miss is answered, in the model, the moment it was asked.
    this.#pump(o.at, out);
  }

  /** The request outstanding on `source` for `file`, or a PROTOCOL error saying what was asked. */
  #asked(source: Source, file: number, what: string): Outstanding {
    const o = this.#st.outstanding.get(source);
    if (o?.file !== file) {
      throw new ForesightError(
        "PROTOCOL",
        `Cannot ${what} ${file} from source ${source}: asked for ${o?.file ?? "nothing"}`,
      );
    }
    return o;
  }

  /** Asks for what the policy wants now; `at` is when, in the model, this is decided. */
  #pump(at: number, out: ClientEffect[]): void {
    const st = this.#st;
    if (st.finished || !st.started) return;
    if (st.policy.finished) {
      st.finished = true;
      out.push({ kind: "finished" });
      return;
    }
    const busy = this.#busy;
    const fetches = st.policy.poll(busy);
    for (let i = 0; i < fetches.length; i++) {
      const f = fetches[i]!;
      if (busy.has(f.source) || (f.source !== ORIGIN_SOURCE && !st.places[f.source])) {
        throw new ForesightError(
          "INTERNAL",
          `Cannot fetch file ${f.file}: source ${f.source} is busy, lost or unknown`,
        );
      }
      // From here on the view counts it busy.
      st.outstanding.set(f.source, { file: f.file, at, began: false, due: undefined });
      out.push({ kind: "request", source: f.source, file: f.file, at });
    }
  }
}
