/**
 * Test fixtures for the origin engine: a run with two caches and three
 * clients driven by hand (a manual clock), and helpers that pick effects out
 * of what `handle` returns.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  CANONICAL,
  checkScenario,
  type PolicyName,
  type Scenario,
} from "../../../core/run/scenario.ts";
import type { ControlMessage } from "../../../protocol/mod.ts";
import type { EngineEvent } from "../../../protocol/role_event.ts";
import { type OriginEffect, OriginEngine, type OriginInput } from "../../../engine/origin.ts";

/**
 * Three clients over files 1..20 (file n is n KiB); with 2 caches, even files
 * are cache 0's shard, odd ones cache 1's.
 */
export const LISTS: number[][] = [
  [2, 3, 4, 6, 8, 9, 10, 12],
  [2, 4, 5, 6, 8, 10, 11, 12],
  [2, 3, 6, 7, 8, 10, 12, 13],
];

/** An origin engine and a manual clock that every input advances by one. */
export interface World {
  engine: OriginEngine;
  /** Hands `input` to the engine at the next tick; returns its effects. */
  feed(input: OriginInput): OriginEffect[];
  /** Every effect returned so far, in order. */
  log: OriginEffect[];
}

/** The scenario of {@link LISTS}: 20 files, 2 caches, 3 clients, 8 requests each. */
export function scenario(policy: PolicyName, capacityKiB: number): Scenario {
  return checkScenario({
    ...CANONICAL,
    files: 20,
    caches: 2,
    clients: LISTS.length,
    requests: 8,
    capacityKiB,
    policy,
  });
}

/** A fresh engine for {@link scenario}, nobody registered (file n is n KiB unless `size` says). */
export function empty(
  policy: PolicyName = "seed",
  capacityKiB = 12,
  size: (file: number) => number = (f) => f * 1024,
): World {
  const engine = new OriginEngine(scenario(policy, capacityKiB), size);
  const log: OriginEffect[] = [];
  let now = 0;
  return {
    engine,
    log,
    feed(input) {
      const out = engine.handle(input, ++now);
      log.push(...out);
      return out;
    },
  };
}

/** Registers cache `k` (at 192.0.2.1k:700k unless told otherwise). */
export function joinCache(w: World, k?: number, host?: string, port?: number): OriginEffect[] {
  return w.feed({
    type: "join",
    role: "cache",
    index: k,
    host: host ?? `192.0.2.1${k ?? 0}`,
    port: port ?? 7000 + (k ?? 0),
  });
}

/**
 * Every cache and client registered, every list in, every cache warm: the
 * clients are started. With seed at 12 KiB the warm-up pushed 2, 4, 6 into
 * cache 0 and 3, 5 into cache 1; at 1 KiB it pushed nothing (and no file fits
 * a cache, so no hint names one).
 */
export function world(
  policy: PolicyName = "seed",
  capacityKiB = 12,
  size?: (file: number) => number,
): World {
  const w = empty(policy, capacityKiB, size);
  for (const k of [0, 1]) joinCache(w, k);
  for (const _ of LISTS) w.feed({ type: "join", role: "client" });
  LISTS.forEach((files, client) => w.feed({ type: "list", client, files }));
  for (const cache of [0, 1]) w.feed({ type: "warm", cache });
  assert.equal(w.engine.st.started, true);
  w.log.length = 0;
  return w;
}

/** The messages in `effects` sent to `role` `index`. */
export function sentTo(
  effects: readonly OriginEffect[],
  role: "cache" | "client",
  index: number,
): ControlMessage[] {
  return effects.flatMap((e) =>
    e.kind === "send" && e.to.role === role && e.to.index === index ? [e.message] : []
  );
}

/** The reported events named `name`. */
export function named(effects: readonly OriginEffect[], name: string): EngineEvent[] {
  return effects.flatMap((e) => e.kind === "report" && e.event.event === name ? [e.event] : []);
}

/** The transfers in `effects`, as `role index: file ×count`. */
export function transfers(effects: readonly OriginEffect[]): string[] {
  return effects.flatMap((e) =>
    e.kind === "transfer" ? [`${e.to.role} ${e.to.index}: ${e.file} ×${e.count}`] : []
  );
}

/** The messages and transfers in `effects` as `role index type`, in order. */
export function journal(effects: readonly OriginEffect[]): string[] {
  return effects.flatMap((e) =>
    e.kind === "send"
      ? [`${e.to.role}${e.to.index} ${e.message.type}`]
      : e.kind === "transfer"
      ? [`${e.to.role}${e.to.index} file ${e.file}`]
      : []
  );
}

/** The log records at warn or above. */
export function warnings(effects: readonly OriginEffect[]): { message: string; fields?: object }[] {
  return effects.flatMap((e) =>
    e.kind === "log" && (e.level === "warn" || e.level === "error")
      ? [{ message: e.message, fields: e.fields }]
      : []
  );
}

/**
 * Cache `cache` asks for `file` and the engine pushes it: returns the clients
 * whose requests the push carried (its count).
 */
export function push(w: World, cache: number, file: number): number[] {
  const out = w.feed({ type: "refill", cache, file });
  const t = out.find((e) => e.kind === "transfer");
  assert.ok(t && t.kind === "transfer", `file ${file} was not pushed into cache ${cache}`);
  assert.deepEqual(t.to, { role: "cache", index: cache });
  const members = w.engine.st.caches[cache]!.members.get(file)!;
  assert.equal(t.count, members.length);
  return members;
}

/** `client` asks the origin for `file` and is served it directly. */
export function serveDirect(w: World, client: number, file: number): void {
  const out = w.feed({ type: "request", client, file });
  assert.deepEqual(
    transfers(out).map((t) => t.split(":")[0]),
    [`client ${client}`],
    `file ${file} was not served to client ${client}`,
  );
}
