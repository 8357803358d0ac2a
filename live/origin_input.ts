/**
 * What the live origin hands its engine: a `hello` as a `join`, each later
 * message of a cache or client as the input it means, and the place a `join`
 * was admitted to. Pure functions, no I/O.
 *
 * @module
 */

import type { Address } from "../net/types.ts";
import { ForesightError } from "../errors.ts";
import type { Message } from "../protocol/mod.ts";
import type { OriginEffect, OriginInput, Party } from "../engine/origin.ts";
import type { Hello } from "./handshake.ts";

/** The place a connection was admitted to. */
export interface Admitted {
  readonly who: Party;
  /** The cache that holds the place (0 for a client). */
  readonly generation: number;
}

/**
 * The `join` of a cache or client that said `hello` from `remote`; a cache
 * that advertises a wildcard host is reached at the address it came from.
 *
 * @param role the `hello`'s role (not a probe)
 * @param hello the peer's `hello`
 * @param remote where the connection came from
 * @example
 * ```ts
 * if (hello.role !== "probe") joinInput(hello.role, hello, conn.remote); // { type: "join", role, index, host, port }
 * ```
 */
export function joinInput(role: Party["role"], hello: Hello, remote: Address): OriginInput {
  const adv = hello.advertise;
  const host = adv && (adv.host === "0.0.0.0" || adv.host === "::") ? remote.host : adv?.host;
  return { type: "join", role, index: hello.index, host, port: adv?.port };
}

/**
 * The place a `join` was admitted to, from the effects the engine returned
 * for it (an admitted join's first effect is its `admit`).
 *
 * @example
 * ```ts
 * admitted(engine.handle(joinInput(hello, remote), now)); // { who: { role: "client", index: 2 }, generation: 0 }
 * ```
 */
export function admitted(effects: readonly OriginEffect[]): Admitted | undefined {
  const admit = effects[0]!;
  if (admit.kind !== "admit") return undefined;
  return { who: { role: admit.role, index: admit.index }, generation: admit.generation };
}

/**
 * The engine's input for `msg` from `who`.
 *
 * @throws {ForesightError} PROTOCOL for a message that role must not send
 * @example
 * ```ts
 * originInput({ role: "client", index: 1 }, { type: "done", files: 3, bytes: 9 }); // { type: "done", client: 1 }
 * ```
 */
export function originInput(who: Party, msg: Message): OriginInput {
  const { index } = who;
  if (who.role === "cache") {
    if (msg.type === "start") return { type: "warm", cache: index };
    if (msg.type === "request") {
      return { type: "refill", cache: index, file: msg.file, at: msg.at };
    }
  } else {
    switch (msg.type) {
      case "list":
        return { type: "list", client: index, files: msg.files };
      case "request":
        return { type: "request", client: index, file: msg.file, at: msg.at };
      case "lost":
        return { type: "link-lost", client: index, cache: msg.cache, generation: msg.generation };
      case "done":
        return { type: "done", client: index };
    }
  }
  throw new ForesightError(
    "PROTOCOL",
    `Cannot handle "${msg.type}" from ${who.role} ${index}: not expected`,
  );
}
