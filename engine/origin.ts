/**
 * The origin engine: registers caches and clients, collects request lists
 * into the demand ledger, warms the caches, starts the clients, grants
 * refills, serves direct requests, survives lost roles in every phase and
 * stops everyone when every client is done. No I/O: see engine/effect.ts.
 *
 * @module
 */

import { ORIGIN_OWNER } from "../core/demand/demand_ledger.ts";
import { makeOriginPolicy } from "../core/policies/policy_registry.ts";
import type { Phase } from "../core/run/role_view.ts";
import type { Scenario } from "../core/run/scenario.ts";
import { ForesightError } from "../errors.ts";
import type { ControlMessage } from "../protocol/control_message.ts";
import type { EngineEvent } from "../protocol/role_event.ts";
import { cutLink, lose, loseClient } from "./origin_faults.ts";
import { join, toClient } from "./origin_join.ts";
import {
  allCaches,
  carriesSome,
  type OriginState,
  originState,
  owedAt,
  pushMembers,
  runPhase,
} from "./origin_state.ts";
import type { OriginEffect, OriginInput, OriginSummary, Party } from "./origin_types.ts";

export type { LostRole, OriginEffect, OriginInput, OriginSummary, Party } from "./origin_types.ts";

/** No effects (shared: a list is made only when an input has some). */
const NONE = Object.freeze([]) as unknown as OriginEffect[];

/**
 * The origin's decisions, driven by the simulator or the live origin.
 *
 * @example
 * ```ts
 * const origin = new OriginEngine(scenario, (f) => f * 1024);
 * for (const effect of origin.handle({ type: "join", role: "client" }, 0)) carryOut(effect);
 * ```
 */
export class OriginEngine {
  /** The state (read-only for callers: the view, tests). */
  readonly st: OriginState;
  /** The counters it reports. */
  readonly summary: OriginSummary;
  #out: OriginEffect[] = NONE;
  /** One Party object per place, made once (effects name them). */
  readonly #cacheParty: readonly Party[];
  readonly #clientParty: readonly Party[];
  #now = 0;

  /**
   * @param scenario the run's parameters
   * @param size a file's size in bytes
   */
  constructor(scenario: Scenario, size: (file: number) => number) {
    this.st = originState(scenario, size);
    this.#cacheParty = Array.from({ length: scenario.caches }, (_, index) => ({
      role: "cache",
      index,
    }));
    this.#clientParty = Array.from({ length: scenario.clients }, (_, index) => ({
      role: "client",
      index,
    }));
    this.summary = {
      ok: false,
      bytesToCaches: 0,
      bytesToClients: 0,
      filesToCaches: 0,
      filesToClients: 0,
      ownerRaces: 0,
      redirects: 0,
      servedBeforePush: 0,
      lostCaches: 0,
      servedForLostCaches: 0,
      lostClients: 0,
      rejoinedCaches: 0,
      cutLinks: 0,
      lost: this.st.lost,
      ledger: this.st.ledger.totals(),
    };
  }

  /** Where the run is now (the admin API's phase). */
  get phase(): Phase {
    const p = runPhase(this.st);
    return p === "registering" && allCaches(this.st) && this.st.clients.every((c) => c)
      ? "waiting"
      : p;
  }

  /** Whether the run is over. */
  get finished(): boolean {
    return this.st.finished;
  }

  /**
   * Takes what happened at `now` (the driver's time) and returns what to do.
   *
   * @throws {ForesightError} PROTOCOL when a peer's message is not acceptable
   * (nothing changed: the driver closes that connection, then reports it lost)
   */
  handle(input: OriginInput, now: number): OriginEffect[] {
    this.#now = now;
    this.#out = NONE;
    const st = this.st;
    switch (input.type) {
      case "join":
        join(this, input.role, input.index, input.host, input.port);
        break;
      case "list":
        this.#list(input.client, input.files);
        break;
      case "warm":
        if (st.caches[input.cache]) st.caches[input.cache]!.warm = true;
        this.#advance();
        break;
      case "refill":
        this.#refill(input.cache, input.file, input.at);
        break;
      case "request":
        if (!st.started) {
          throw new ForesightError(
            "PROTOCOL",
            `Cannot serve client ${input.client} before the start`,
          );
        }
        this.#serve(input.client, input.file, input.at);
        break;
      case "link-lost":
        cutLink(this, input.client, input.cache, input.generation);
        break;
      case "done":
        if (st.finished || st.done.has(input.client)) break;
        st.done.add(input.client);
        this.log("info", "client done", { client: input.client });
        this.report({ event: "done", client: input.client });
        if (st.done.size + st.lostClients.size === st.s.clients) this.stop("every client is done");
        break;
      case "cache-lost":
        if (lose(this, input.cache, input.generation, input.reason)) this.#advance();
        break;
      case "client-lost":
        if (loseClient(this, input.client, input.reason)) {
          if (st.done.size + st.lostClients.size === st.s.clients) {
            this.stop("every client is done or gone");
          } else this.#advance();
        }
        break;
      case "fail":
        if (!st.finished) {
          this.summary.error = input.reason;
          this.log("error", "run failed", { reason: input.reason });
          this.stop(input.reason);
        }
        break;
    }
    const out = this.#out;
    this.#out = NONE;
    return out;
  }

  /** The summary to report at the end: ok when the run ended without a failure. */
  end(): OriginSummary {
    this.summary.ok = this.st.finished && this.summary.error === undefined;
    this.summary.ledger = this.st.ledger.totals();
    return this.summary;
  }

  // ---- effects (also used by origin_faults.ts) ----

  /** Queues an effect (the list is made at the first: most inputs have none). */
  effect(effect: OriginEffect): void {
    // The first effect makes a list of one (an empty list's first push would reserve 17 slots).
    if (this.#out === NONE) this.#out = [effect];
    else this.#out.push(effect);
  }

  /** The party in place `index` of `role` (one object per place, made once). */
  party(role: "cache" | "client", index: number): Party {
    return (role === "cache" ? this.#cacheParty : this.#clientParty)[index]!;
  }

  /** Queues sending `message` to `to`. */
  send(to: Party, message: ControlMessage): void {
    this.effect({ kind: "send", to, message });
  }
  /** Queues a report. */
  report(event: EngineEvent): void {
    this.effect({ kind: "report", event });
  }
  /** Queues a log record. */
  log(level: "debug" | "info" | "warn" | "error", message: string, fields?: object): void {
    this.effect({ kind: "log", level, message, fields: fields as Record<string, unknown> });
  }
  /** Ends the run: every peer is told to stop. */
  stop(reason: string): void {
    if (this.st.finished) return;
    this.st.finished = true;
    this.report({ event: "phase", phase: "stopping" });
    this.effect({ kind: "stop", reason });
  }

  // ---- lists, warm-up and start ----

  #list(client: number, files: readonly number[]): void {
    const st = this.st;
    if (st.lists[client]) {
      throw new ForesightError("PROTOCOL", `Cannot take a second list from client ${client}`);
    }
    if (files.length > st.s.requests) {
      throw new ForesightError(
        "PROTOCOL",
        `Cannot take list of client ${client}: ${files.length} files, at most ${st.s.requests} allowed`,
      );
    }
    st.ledger.add(files);
    st.lists[client] = files;
    this.report({ event: "list", client, files: files.length });
    this.#advance();
  }

  /**
   * Moves the run on if it can now: begins the warm-up once every client's
   * list is in (or the client is lost), starts the clients once every cache
   * is warm (or lost).
   */
  #advance(): void {
    const st = this.st;
    if (st.finished) return;
    if (!st.policy) {
      if (st.lists.every((l, i) => l !== undefined || st.lostClients.has(i))) this.#begin();
    } else this.#startClients();
  }

  #begin(): void {
    const st = this.st;
    const s = st.s;
    // Indexed by id: every listed id is one of the scenario's (the ledger checked it).
    // Pushed one by one: `new Array(n)` of 100,000 or more is a sparse array in JavaScriptCore.
    const listedBy: (number[] | undefined)[] = st.listedBy = [];
    for (let f = 0; f <= s.files; f++) listedBy.push(undefined);
    for (let c = 0; c < st.lists.length; c++) {
      const list = st.lists[c];
      if (list === undefined) continue;
      for (let i = 0; i < list.length; i++) {
        const f = list[i]!;
        const who = listedBy[f];
        if (who) who.push(c);
        else listedBy[f] = [c];
      }
    }
    st.policy = makeOriginPolicy(s, {
      ledger: st.ledger,
      caches: s.caches,
      capacity: s.capacityKiB * 1024,
      // A client lost before the warm-up wants nothing.
      lists: st.lists.map((l, i) => st.lostClients.has(i) ? [] : l!),
      size: st.size,
      wanted: (cache, f) => carriesSome(st, cache, f),
    });
    const p = st.policy;
    // The policy's routes; a listed file it routes nowhere goes to its shard.
    st.routeOf = st.lists.map((_, c) => new Map(p.routes(c) ?? []));
    this.report({ event: "phase", phase: "warming" });
    const pushes = p.warmup();
    for (const w of pushes) this.#push(w.cache, w.file);
    this.log("info", "warming caches", { pushes: pushes.length });
    // `start` to a cache follows its warm-up pushes on the same link; the
    // cache echoes it when all arrived. A cache lost meanwhile is not waited for.
    for (const [k, c] of st.caches.entries()) {
      if (c && !c.lost) this.send(this.#cacheParty[k]!, { type: "start" });
    }
    this.#startClients();
  }

  #startClients(): void {
    const st = this.st;
    if (st.started || st.finished || !st.caches.every((c) => c?.warm || c?.lost)) return;
    st.started = true;
    this.report({ event: "start", at: this.#now });
    this.report({ event: "phase", phase: "running" });
    this.log("info", "all caches warm: starting clients");
    for (let i = 0; i < st.s.clients; i++) {
      const routes = st.policy!.routes(i);
      if (routes) toClient(this, i, { type: "plan", routes });
      toClient(this, i, { type: "start" });
    }
  }

  // ---- refills and requests ----

  /**
   * Pushes `file` into `cache` carrying the requests of exactly the clients
   * that will ask it there. A push into a demand-counted cache that nobody
   * will ask is not made: returns false.
   */
  #push(cache: number, file: number, cause?: number): boolean {
    const st = this.st;
    const slot = st.caches[cache];
    if (!slot || slot.lost) return false;
    const { members, routed } = pushMembers(st, cache, file);
    if (routed > members.length) {
      this.log("warn", "more clients routed through a cache than requests owed", {
        cache,
        file,
        routed,
        owed: members.length,
      });
    }
    if (members.length === 0 && st.policy!.pushCount?.(cache, file) !== 0) return false;
    const count = st.ledger.handOff(file, cache, members.length);
    slot.members.set(file, members);
    // In the model the push is decided when the cache asked (its `at`);
    // warm-up pushes come before everything.
    slot.pushedAt.set(file, cause ?? -Infinity);
    for (const c of members) {
      st.carried[c]!.add(file);
      st.carriedAt[c]!.set(file, [cache, slot]);
    }
    const size = st.size(file);
    this.summary.filesToCaches++;
    this.summary.bytesToCaches += size;
    this.effect({
      kind: "transfer",
      to: this.#cacheParty[cache]!,
      file,
      size,
      count,
      next: st.policy!.hint(cache),
      cause,
    });
    return true;
  }

  #refill(cache: number, file: number, at: number | undefined): void {
    const st = this.st;
    const slot = st.caches[cache];
    if (!slot || slot.lost) return;
    if (st.policy && st.policy.grant(cache, file) && this.#push(cache, file, at)) return;
    // Declined, or granted but everyone it was for got it meanwhile.
    this.send(this.#cacheParty[cache]!, {
      type: "miss",
      file,
      next: st.policy ? st.policy.hint(cache) : null,
    });
  }

  #serve(client: number, file: number, cause: number | undefined): void {
    const st = this.st;
    if (st.lostClients.has(client)) return;
    const owed = owedAt(st, client, file);
    if (owed !== undefined && !this.#before(owed, client, file, cause)) {
      // A push carried this client's request into a cache (it began while
      // this request was on its way, or after the client's miss there):
      // send it back there.
      this.summary.redirects++;
      this.send(this.#clientParty[client]!, { type: "miss", file, next: null });
      return;
    }
    if (owed !== undefined) {
      // Made before that push in the model (it only arrived later): served
      // here, as the model has it; the cache forgoes the client's request.
      this.summary.servedBeforePush++;
    } else if (
      st.ledger.owner(file) !== ORIGIN_OWNER || !st.ledger.serveDirect(file)
    ) {
      // Its cache is lost, or unreachable for this client (it said `lost`).
      if (st.ledger.owner(file) !== ORIGIN_OWNER || st.orphaned.has(file)) {
        this.summary.servedForLostCaches++;
      } else {
        this.summary.ownerRaces++;
        this.log("warn", "direct request for a file nobody listed; serving it anyway", {
          client,
          file,
        });
      }
    }
    st.servedTo[client]!.add(file);
    const size = st.size(file);
    this.summary.filesToClients++;
    this.summary.bytesToClients += size;
    this.effect({
      kind: "transfer",
      to: this.#clientParty[client]!,
      file,
      size,
      count: st.ledger.outstanding(file),
      next: null,
      cause,
    });
  }

  /**
   * Whether a direct request of `client` for `file`, made at `at` (the
   * model's time), came before the push into `cache` that carried it: then
   * the push no longer carries it (the cache is told to forgo it).
   */
  #before(cache: number, client: number, file: number, at: number | undefined): boolean {
    const slot = this.st.caches[cache]!;
    const pushedAt = slot.pushedAt.get(file);
    if (at === undefined || pushedAt === undefined || !(at < pushedAt)) return false;
    const members = slot.members.get(file)!;
    members.splice(members.indexOf(client), 1);
    this.st.carriedAt[client]!.delete(file);
    this.send(this.#cacheParty[cache]!, { type: "release", client, files: [file] });
    return true;
  }
}
