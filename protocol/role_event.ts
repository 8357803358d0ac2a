/**
 * What the roles report as they run: one discriminated union on `event`,
 * emitted by the engines and the role mains (one JSON line each on stdout),
 * read by `foresight run`, its progress line, the dashboard, the timeline,
 * the report and the tests.
 *
 * @module
 */

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
