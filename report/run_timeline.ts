/**
 * The time series of a run, built from the events the roles print (client
 * `progress`, every role's periodic `stats`, `start`, `summary`): bytes per
 * link, each cache's occupancy and each client's progress over time. The
 * live dashboard, the terminal progress and the report charts all read it.
 *
 * Time comes in as an argument (wall seconds on any clock), so tests drive
 * it with made-up times. The x axis of every series is simulated seconds
 * since the clients started (wall seconds × the scenario's scale), negative
 * during the warm-up; until the start, since the latest sample. Samples from
 * before anything moved (the processes starting) are left out of the series.
 *
 * @module
 */

import type { Scenario } from "../core/run/scenario.ts";
import type { ProgressEvent, RoleEvent } from "../protocol/role_event.ts";
import { type LinkRates, ShapingTally } from "./link_rates.ts";

/** The three kinds of link. */
export type LinkName = "originToCache" | "originToClient" | "cacheToClient";

/** The links in display order, with their labels. */
export const LINKS: readonly { readonly name: LinkName; readonly label: string }[] = [
  { name: "originToCache", label: "origin → cache" },
  { name: "originToClient", label: "origin → client" },
  { name: "cacheToClient", label: "cache → client" },
];

/** One client's progress. */
export interface ClientProgress extends Omit<ProgressEvent, "event"> {
  /** True once it holds every file of its list. */
  done: boolean;
}

/** One cache's state. */
export interface CacheState {
  index: number;
  usedBytes: number;
  capacityBytes: number;
  peakBytes: number;
  filesHeld: number;
  hits: number;
  misses: number;
}

/** One tick: cumulative bytes per link, cache occupancy and client files, at wall time `t`. */
export interface TimelineSample {
  /** Wall seconds since launch. */
  readonly t: number;
  readonly links: Readonly<Record<LinkName, number>>;
  /** Bytes held, by cache index. */
  readonly caches: readonly number[];
  /** Files received, by client index. */
  readonly clients: readonly number[];
}

/** Where a run is. */
export type RunPhase =
  | "launching"
  | "registering"
  | "waiting"
  | "warming"
  | "running"
  | "stopping"
  | "done"
  | "failed";

/** The whole state at one moment, JSON-safe. */
export interface TimelineSnapshot {
  scenario: Scenario;
  phase: RunPhase;
  /** Wall seconds since launch. */
  wallSeconds: number;
  /** Simulated seconds since the clients started (wall × scale; 0 before). */
  simSeconds: number;
  /** True once the clients have started. */
  started: boolean;
  clients: ClientProgress[];
  caches: CacheState[];
  /** Bytes so far, and the recent rate in bytes per simulated second, per link. */
  links: Record<LinkName, { bytes: number; rate: number }>;
  filesDone: number;
  filesTotal: number;
  /** Requests the caches counted as hits, over files the clients received. */
  hitRatio: number;
  /** Achieved against shaped per link class so far (report/link_rates.ts). */
  achieved: LinkRates;
}

/** Samples kept; past this many, every other one is dropped and ticks come half as often. */
export const MAX_SAMPLES = 3000;

const num = (v: unknown, fallback = 0): number =>
  typeof v === "number" && Number.isFinite(v) ? v : fallback;

/**
 * Collects a run's events into time series.
 *
 * @example
 * ```ts
 * const tl = new RunTimeline(scenario, performance.now() / 1000);
 * tl.record({ role: "cache", index: 0 }, { event: "stats", usedBytes: 4096 }, performance.now() / 1000);
 * setInterval(() => tl.tick(performance.now() / 1000), 250);
 * lineChart({ title: "Cache 0", xLabel: "s", series: [{ name: "cache 0", points: tl.cacheSeries()[0]!.points }] });
 * ```
 */
export class RunTimeline {
  /** The scenario of the run. */
  readonly scenario: Scenario;
  readonly #t0: number;
  readonly #window: number;
  readonly #samples: TimelineSample[] = [];
  readonly #clients = new Map<number, ClientProgress>();
  readonly #caches = new Map<
    number,
    CacheState & { pushedBytes: number; bytesToClients: number }
  >();
  #originToClient = 0;
  #originToCache = 0;
  #phase: RunPhase = "launching";
  #spacing = 0;
  #start: number | undefined;
  #last = 0;
  readonly #shaping = new ShapingTally();

  /**
   * @param scenario the run's scenario (for the scale and the expected files)
   * @param t0 the launch, in wall seconds on the clock later times are given in
   * @param windowSeconds wall seconds over which a link's rate is averaged (default 1)
   */
  constructor(scenario: Scenario, t0: number, windowSeconds = 1) {
    this.scenario = scenario;
    this.#t0 = t0;
    this.#window = windowSeconds;
    for (let i = 0; i < scenario.clients; i++) this.#clients.set(i, this.#newClient(i));
  }

  #newClient(index: number): ClientProgress {
    const of = this.scenario.requests;
    return { index, files: 0, of, bytes: 0, hits: 0, misses: 0, simSeconds: 0, done: false };
  }

  /**
   * Takes one event a role printed, at wall time `now`.
   *
   * @param who the role and index of the process that printed it
   * @param e the event (`progress`, `stats`, `start`, `summary`; others are ignored)
   * @param now wall seconds, on the clock `t0` was read from
   */
  record(who: { role: string; index: number }, e: RoleEvent, now: number): void {
    this.#last = Math.max(this.#last, now - this.#t0);
    const kind = e.event;
    if (kind === "stats" || kind === "summary") this.#shaping.record(who, e);
    if (who.role === "origin") {
      if (kind === "start") this.#start ??= now - this.#t0;
      if (kind === "stats" || kind === "summary") {
        this.#originToClient = num(e.bytesToClients, this.#originToClient);
        this.#originToCache = num(e.bytesToCaches, this.#originToCache);
      }
      if (kind === "stats" && typeof e.phase === "string" && !this.#over()) {
        this.#phase = e.phase === "done" ? "stopping" : e.phase as RunPhase;
      }
      return;
    }
    if (who.role === "client" && (kind === "progress" || kind === "stats" || kind === "summary")) {
      const c = this.#clients.get(who.index) ?? this.#newClient(who.index);
      // A progress event's fields, or a client's stats and summary counters, by name.
      const f: Readonly<Record<string, unknown>> = { ...e };
      c.files = num(f.files, c.files);
      c.of = num(f.of, num(f.requested, c.of)) || c.of;
      c.bytes = num(f.bytes, c.bytes);
      c.hits = num(f.hits, c.hits);
      c.misses = num(f.misses, c.misses);
      c.simSeconds = num(f.finishSimSeconds, num(f.simSeconds, c.simSeconds));
      c.done = c.of > 0 && c.files >= c.of;
      this.#clients.set(who.index, c);
      return;
    }
    if (who.role === "cache" && (kind === "stats" || kind === "summary")) {
      const c = this.#caches.get(who.index) ?? {
        index: who.index,
        usedBytes: 0,
        capacityBytes: this.scenario.capacityKiB * 1024,
        peakBytes: 0,
        filesHeld: 0,
        hits: 0,
        misses: 0,
        pushedBytes: 0,
        bytesToClients: 0,
      };
      c.usedBytes = num(e.usedBytes, c.usedBytes);
      c.capacityBytes = num(e.capacityBytes, c.capacityBytes) || c.capacityBytes;
      c.peakBytes = num(e.peakBytes, c.peakBytes);
      c.filesHeld = num(e.filesHeld, c.filesHeld);
      c.hits = num(e.hits, c.hits);
      c.misses = num(e.misses, c.misses);
      c.pushedBytes = num(e.pushedBytes, c.pushedBytes);
      c.bytesToClients = num(e.bytesToClients, c.bytesToClients);
      this.#caches.set(who.index, c);
    }
  }

  #over(): boolean {
    return this.#phase === "done" || this.#phase === "failed";
  }

  /** Marks the run over. */
  finish(ok: boolean, now: number): void {
    this.tick(now);
    this.#phase = ok ? "done" : "failed";
  }

  /** Bytes carried so far per link. */
  #links(): Record<LinkName, number> {
    let pushed = 0, served = 0;
    for (const c of this.#caches.values()) {
      pushed += c.pushedBytes;
      served += c.bytesToClients;
    }
    // A cache counts bytes as they arrive; the origin as a send starts. Prefer the caches'.
    return {
      originToCache: pushed || this.#originToCache,
      originToClient: this.#originToClient,
      cacheToClient: served,
    };
  }

  /**
   * Appends a sample of every counter at wall time `now` (call it every 100 ms or so). Memory
   * stays bounded: past {@link MAX_SAMPLES}, every other sample goes and ticks thin out.
   */
  tick(now: number): void {
    const t = now - this.#t0;
    this.#last = Math.max(this.#last, t);
    const prev = this.#samples[this.#samples.length - 1];
    if (prev && t - prev.t <= this.#spacing) return;
    if (this.#samples.length >= MAX_SAMPLES) {
      const kept = this.#samples.filter((_, i) => i % 2 === 0);
      this.#samples.length = 0;
      this.#samples.push(...kept);
      this.#spacing = (t - kept[0]!.t) / kept.length;
    }
    const idx = (m: Map<number, unknown>, n: number) => Math.max(n - 1, ...m.keys()) + 1;
    this.#samples.push({
      t,
      links: this.#links(),
      caches: Array.from(
        { length: idx(this.#caches, this.scenario.caches) },
        (_, i) => this.#caches.get(i)?.usedBytes ?? 0,
      ),
      clients: Array.from(
        { length: idx(this.#clients, this.scenario.clients) },
        (_, i) => this.#clients.get(i)?.files ?? 0,
      ),
    });
  }

  /** The samples so far. */
  samples(): readonly TimelineSample[] {
    return this.#samples;
  }

  /** Simulated seconds between wall offsets `from` and `t`. */
  #sim(t: number, from = 0): number {
    return (t - from) * this.scenario.scale;
  }

  /** The x of wall offset `t`: simulated seconds since the start (or the latest sample). */
  #x(t: number): number {
    const origin = this.#start ?? this.#samples[this.#samples.length - 1]?.t ?? 0;
    return this.#sim(t, origin);
  }

  /** The index of the first sample to draw: the last one before anything moved. */
  #first(): number {
    const moved = this.#samples.findIndex((s) =>
      s.links.originToCache + s.links.originToClient + s.links.cacheToClient > 0 ||
      s.caches.some((b) => b > 0) || s.clients.some((f) => f > 0)
    );
    return moved < 0 ? Math.max(0, this.#samples.length - 1) : Math.max(0, moved - 1);
  }

  /** The samples to draw, with their index. */
  #drawn(): [TimelineSample, number][] {
    const first = this.#first();
    return this.#samples.slice(first).map((s, i) => [s, first + i]);
  }

  /** Rate of `link` at sample `i`, in bytes per simulated second, over the window before it. */
  #rate(i: number, link: LinkName): number {
    const s = this.#samples;
    const at = s[i]!;
    let j = i;
    while (j > 0 && at.t - s[j - 1]!.t <= this.#window + 1e-9) j--;
    if (j === i) return 0;
    const from = s[j]!;
    return (at.links[link] - from.links[link]) / this.#sim(at.t - from.t);
  }

  /** Each link's rate over time: [simulated seconds since the start, bytes per simulated second]. */
  linkRateSeries(): Record<LinkName, [number, number][]> {
    const out = { originToCache: [], originToClient: [], cacheToClient: [] } as Record<
      LinkName,
      [number, number][]
    >;
    for (const [s, i] of this.#drawn()) {
      for (const { name } of LINKS) out[name].push([this.#x(s.t), this.#rate(i, name)]);
    }
    return out;
  }

  /** Each cache's bytes held over time: [simulated seconds since the start, bytes]. */
  cacheSeries(): { index: number; capacityBytes: number; points: [number, number][] }[] {
    return [...this.#caches.values()].sort((a, b) => a.index - b.index).map((c) => ({
      index: c.index,
      capacityBytes: c.capacityBytes,
      points: this.#drawn().filter(([s]) => c.index < s.caches.length).map((
        [s],
      ) => [this.#x(s.t), s.caches[c.index]!]),
    }));
  }

  /** Each client's progress over time: [simulated seconds since the start, percent of its list]. */
  clientSeries(): { index: number; points: [number, number][] }[] {
    return [...this.#clients.values()].sort((a, b) => a.index - b.index).map((c) => ({
      index: c.index,
      points: this.#drawn().filter(([s]) => c.index < s.clients.length).map((
        [s],
      ) => [this.#x(s.t), (100 * s.clients[c.index]!) / Math.max(1, c.of)]),
    }));
  }

  /** Wall seconds from launch to the clients' start, if they have started. */
  get startWallSeconds(): number | null {
    return this.#start ?? null;
  }

  /** True once the origin has started the clients. */
  get started(): boolean {
    return this.#start !== undefined;
  }

  /**
   * The state at wall time `now` (default: the latest time seen).
   *
   * @example
   * ```ts
   * const { clients, hitRatio, links } = tl.snapshot(performance.now() / 1000);
   * ```
   */
  snapshot(now?: number): TimelineSnapshot {
    const t = now === undefined ? this.#last : now - this.#t0;
    const clients = [...this.#clients.values()].sort((a, b) => a.index - b.index);
    const caches = [...this.#caches.values()].sort((a, b) => a.index - b.index).map((c) => ({
      index: c.index,
      usedBytes: c.usedBytes,
      capacityBytes: c.capacityBytes,
      peakBytes: c.peakBytes,
      filesHeld: c.filesHeld,
      hits: c.hits,
      misses: c.misses,
    }));
    const bytes = this.#links();
    const last = this.#samples.length - 1;
    const links = {} as TimelineSnapshot["links"];
    for (const { name } of LINKS) {
      links[name] = { bytes: bytes[name], rate: last >= 0 ? this.#rate(last, name) : 0 };
    }
    const filesDone = clients.reduce((a, c) => a + c.files, 0);
    const hits = caches.reduce((a, c) => a + c.hits, 0);
    return {
      scenario: this.scenario,
      phase: this.#phase,
      wallSeconds: t,
      simSeconds: this.#start === undefined ? 0 : Math.max(0, this.#sim(t, this.#start)),
      started: this.#start !== undefined,
      clients: clients.map((c) => ({ ...c })),
      caches,
      links,
      filesDone,
      filesTotal: clients.reduce((a, c) => a + c.of, 0),
      hitRatio: filesDone ? Math.min(1, hits / filesDone) : 0,
      achieved: this.#shaping.rates(),
    };
  }
}
