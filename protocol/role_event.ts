/**
 * What the roles report as they run: one discriminated union on `event`,
 * emitted by the engines and the role mains (one JSON line each on stdout),
 * read by `foresight run`, its progress line, the dashboard, the timeline,
 * the report and the tests.
 *
 * @module
 */

import * as v from "valibot";

/** The phases of a run in which a role can be lost. */
export type RunPhase = "registering" | "warming" | "running" | "stopping";

/** The origin moved to another phase of the run. */
export interface PhaseEvent {
  event: "phase";
  phase: RunPhase;
}
/** The origin started the clients (`at`: the driver's time). */
export interface StartEvent {
  event: "start";
  at: number;
}
/** A cache or client registered with the origin. */
export interface RegisterEvent {
  event: "register";
  role: "cache" | "client";
  index: number;
}
/** The origin took a client's request list. */
export interface ListEvent {
  event: "list";
  client: number;
  files: number;
}
/** A client said it holds every file. */
export interface DoneEvent {
  event: "done";
  client: number;
}
/** The origin lost a cache or a client, in `phase`, for `reason`. */
export interface LostEvent {
  event: "cache-lost" | "client-lost";
  index: number;
  phase: RunPhase;
  reason: string;
}
/** A client cannot reach a cache any more, which lives on. */
export interface LinkCutEvent {
  event: "link-cut";
  client: number;
  cache: number;
}
/** A cache took a lost one's place. */
export interface CacheRejoinedEvent {
  event: "cache-rejoined";
  index: number;
}
/** A cache registered with the origin and listens for clients on `port`. */
export interface RegisteredEvent {
  event: "registered";
  index: number;
  port: number;
}
/** A cache's warm-up is over: what it holds. */
export interface WarmEvent {
  event: "warm";
  files: number;
  bytes: number;
}
/** A client's progress. */
export interface ProgressEvent {
  event: "progress";
  index: number;
  files: number;
  of: number;
  bytes: number;
  hits: number;
  misses: number;
  simSeconds: number;
}

/** What an engine reports. */
export type EngineEvent =
  | PhaseEvent
  | StartEvent
  | RegisterEvent
  | ListEvent
  | DoneEvent
  | LostEvent
  | LinkCutEvent
  | CacheRejoinedEvent
  | RegisteredEvent
  | WarmEvent
  | ProgressEvent;

/** Which role printed an event. */
export type RoleName = "origin" | "cache" | "client";

/** The origin listens on `host:port` (printed by its main before anything else). */
export interface ListeningEvent {
  event: "listening";
  role: "origin";
  host: string;
  port: number;
}
/** A role serves its admin API on `host:port` (`index`: when the role knew it at startup). */
export interface AdminEvent {
  event: "admin";
  role: RoleName;
  index?: number;
  host: string;
  port: number;
}
/**
 * A role's periodic snapshot of its counters (its admin `/stats`): `phase`
 * and whatever else that role counts (see each role's view).
 */
export interface StatsEvent {
  event: "stats";
  role: RoleName;
  phase: string;
  [counter: string]: unknown;
}
/**
 * A role's last line: whether it did its part, its runtime and peak memory,
 * and its role's summary counters (`error`: why it failed, when it did).
 */
export interface SummaryEvent {
  event: "summary";
  role: RoleName;
  runtime: string;
  ok: boolean;
  peakRssBytes: number;
  error?: string;
  [counter: string]: unknown;
}

/** What a role main prints besides its engine's events. */
export type MainEvent = ListeningEvent | AdminEvent | StatsEvent | SummaryEvent;

/** Everything a role prints on stdout: one JSON line each, discriminated by `event`. */
export type RoleEvent = EngineEvent | MainEvent;

/** The members of union `U` whose `event` can be `E` (one `event` may name several). */
type Having<U, E> = U extends { event: infer K } ? E extends K ? U : never : never;

/**
 * The event named `E`.
 *
 * @example
 * ```ts
 * const lost: RoleEventOf<"cache-lost"> = { event: "cache-lost", index: 0, phase: "running", reason: "reset" };
 * ```
 */
export type RoleEventOf<E extends RoleEvent["event"]> = Having<RoleEvent, E>;

const Num = v.number();
const Phase = v.picklist(["registering", "warming", "running", "stopping"]);
const Role = v.picklist(["origin", "cache", "client"]);

// deno-fmt-ignore
const roleEventUnion = v.variant("event", [
  v.object({ event: v.literal("phase"), phase: Phase }),
  v.object({ event: v.literal("start"), at: Num }),
  v.object({ event: v.literal("register"), role: v.picklist(["cache", "client"]), index: Num }),
  v.object({ event: v.literal("list"), client: Num, files: Num }),
  v.object({ event: v.literal("done"), client: Num }),
  v.object({
    event: v.picklist(["cache-lost", "client-lost"]), index: Num, phase: Phase, reason: v.string(),
  }),
  v.object({ event: v.literal("link-cut"), client: Num, cache: Num }),
  v.object({ event: v.literal("cache-rejoined"), index: Num }),
  v.object({ event: v.literal("registered"), index: Num, port: Num }),
  v.object({ event: v.literal("warm"), files: Num, bytes: Num }),
  v.object({
    event: v.literal("progress"), index: Num, files: Num, of: Num, bytes: Num, hits: Num,
    misses: Num, simSeconds: Num,
  }),
  v.object({ event: v.literal("listening"), role: v.literal("origin"), host: v.string(), port: Num }),
  v.object({
    event: v.literal("admin"), role: Role, index: v.optional(Num), host: v.string(), port: Num,
  }),
  v.looseObject({ event: v.literal("stats"), role: Role, phase: v.string() }),
  v.looseObject({
    event: v.literal("summary"), role: Role, runtime: v.string(), ok: v.boolean(),
    peakRssBytes: Num, error: v.optional(v.string()),
  }),
]);

/**
 * True when `A` and `B` are each assignable to the other (the loose events'
 * index signatures rule out the stricter identity check of messages.ts).
 */
type Mutual<A, B> = [A] extends [B] ? [B] extends [A] ? true : false : false;
/** Fails to compile unless every property of `T` is `true` (the error names the event). */
type Expect<T extends { [E in RoleEvent["event"]]: true }> = T;
type Parsed = v.InferOutput<typeof roleEventUnion>;
// The schema's output and the hand-written events above are the same, event by
// event: a field added, dropped or retyped on one side only fails to compile here.
type _SchemaMatchesEvents = Expect<
  {
    [E in RoleEvent["event"]]: Mutual<Having<Parsed, E>, RoleEventOf<E>>;
  }
>;

/**
 * Schema of every event a role prints: a `v.variant` on `event`. Engine
 * events and `listening`/`admin` are checked field by field (unknown fields
 * dropped); `stats` and `summary` keep every counter they carry.
 *
 * @example
 * ```ts
 * const r = v.safeParse(RoleEventSchema, JSON.parse(line));
 * if (r.success && r.output.event === "progress") console.log(r.output.files);
 * ```
 */
export const RoleEventSchema: v.GenericSchema<unknown, RoleEvent> = roleEventUnion;

/**
 * Reads one line a role printed: its event, or why it is none (not JSON, or
 * not an event: the first schema issue, with where it is).
 *
 * @example
 * ```ts
 * parseRoleEvent('{"event":"done","client":3}'); // { ok: true, event: { event: "done", client: 3 } }
 * parseRoleEvent('{"event":"dome"}'); // { ok: false, reason: "…" }
 * ```
 */
export function parseRoleEvent(
  line: string,
): { ok: true; event: RoleEvent } | { ok: false; reason: string } {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch (e) {
    return { ok: false, reason: `not JSON: ${(e as Error).message}` };
  }
  const r = v.safeParse(RoleEventSchema, json);
  if (r.success) return { ok: true, event: r.output };
  const issue = r.issues[0];
  const path = issue.path?.map((p) => String(p.key)).join(".");
  return { ok: false, reason: path ? `${path}: ${issue.message}` : issue.message };
}
