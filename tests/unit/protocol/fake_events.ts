/**
 * Whole role events for tests, from the few fields a test cares about: the
 * rest get plain defaults (a client at the start, a role running on Node).
 */
import type {
  ProgressEvent,
  RoleName,
  StatsEvent,
  SummaryEvent,
} from "../../../protocol/role_event.ts";

/** A `progress` event of client `index` (0 unless given). */
export function progress(fields: Partial<Omit<ProgressEvent, "event">>): ProgressEvent {
  return {
    event: "progress",
    index: 0,
    files: 0,
    of: 0,
    bytes: 0,
    hits: 0,
    misses: 0,
    simSeconds: 0,
    ...fields,
  };
}

/** A `stats` event of `role` with these counters (phase "running" unless given). */
export function stats(role: RoleName, counters: Record<string, unknown> = {}): StatsEvent {
  return { event: "stats", role, phase: "running", ...counters };
}

/** A successful `summary` event of `role` on Node with these counters. */
export function summary(role: RoleName, counters: Record<string, unknown> = {}): SummaryEvent {
  return { event: "summary", role, runtime: "node", ok: true, peakRssBytes: 0, ...counters };
}
