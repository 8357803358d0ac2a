/**
 * Picks the socket adapter of the runtime the code is running on.
 *
 * @module
 */
import { ForesightError } from "../errors.ts";
import type { NetAdapter, RuntimeName } from "./types.ts";

/**
 * Tells which runtime is running this code. Bun and Deno both expose
 * `process.versions.node`, so their own globals are tested first.
 *
 * @returns `"bun"`, `"deno"` or `"node"`
 * @example
 * ```ts
 * if (detectRuntime() === "deno") console.log("running on Deno");
 * ```
 */
export function detectRuntime(): RuntimeName {
  const g = globalThis as { Bun?: unknown; Deno?: unknown };
  if (g.Bun !== undefined) return "bun";
  if (g.Deno !== undefined) return "deno";
  return "node";
}

/**
 * Loads the adapter for `runtime`, importing only that adapter's module
 * (the paths are literals so bundlers can follow them).
 *
 * @param runtime which adapter; defaults to {@link detectRuntime}'s answer
 * @returns the adapter
 * @throws {ForesightError} `CONFIG` for a name that is not a runtime. An adapter
 *   loaded on the wrong runtime (`"bun"` on Node) fails at its first connect or listen.
 * @example
 * ```ts
 * const adapter = await loadAdapter();
 * const listener = await adapter.listen({ host: "127.0.0.1", port: 0 }, (conn) => conn.close());
 * ```
 */
export async function loadAdapter(runtime: RuntimeName = detectRuntime()): Promise<NetAdapter> {
  switch (runtime) {
    case "bun":
      return (await import("./bun.ts")).bunAdapter;
    case "deno":
      return (await import("./deno.ts")).denoAdapter;
    case "node":
      return (await import("./node.ts")).nodeAdapter;
    default:
      throw new ForesightError(
        "CONFIG",
        `Cannot load a socket adapter for "${runtime}": not node, deno or bun`,
      );
  }
}
