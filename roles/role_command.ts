/**
 * The command line that starts each role on each runtime, from the package
 * root: `dist/<command>.js` on Node, `roles/<command>.ts` on Deno and Bun
 * (the command of each role: {@link ROLE_COMMAND}).
 *
 * @module
 */

import process from "node:process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ForesightError } from "../errors.ts";

/** A runtime a role runs on. */
export type Runtime = "node" | "deno" | "bun";
/** A role of a run. */
export type Role = "origin" | "cache" | "client";

/**
 * The command that starts each role, and the name of its entry point: the
 * origin's is `data` (`foresight data`, `roles/data.ts`, `dist/data.js`,
 * `deno task data`); everywhere else (events, logs, admin API, reports) the
 * role is `origin`.
 */
export const ROLE_COMMAND = {
  origin: "data",
  cache: "cache",
  client: "client",
} as const satisfies Record<
  Role,
  string
>;

/** The runtimes `--runtime` accepts: one for every role, or mixed. */
export const RUNTIME_CHOICES = ["node", "deno", "bun", "mixed"] as const;

/**
 * The package root: the nearest folder above this file with a package.json.
 *
 * @example
 * ```ts
 * join(packageRoot(), "dist", "cli.js");
 * ```
 */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const up = dirname(dir);
    if (up === dir) {
      throw new ForesightError(
        "CONFIG",
        "Cannot find the package root: no package.json above " + import.meta.url,
      );
    }
    dir = up;
  }
  return dir;
}

function bin(root: string, name: string): string {
  const local = join(root, "node_modules", ".bin", name);
  return existsSync(local) ? local : name;
}

/**
 * The command line that starts `role` on `runtime`; `write`: the role writes
 * files (a client with `--out`: Deno gets `--allow-write`).
 *
 * @example
 * ```ts
 * roleCommand(packageRoot(), "deno", "cache"); // [".../deno", "run", "--v8-flags=…", "--allow-net", …, ".../roles/cache.ts"]
 * ```
 */
export function roleCommand(root: string, runtime: Runtime, role: Role, write = false): string[] {
  const command = ROLE_COMMAND[role];
  switch (runtime) {
    case "node": {
      const entry = join(root, "dist", `${command}.js`);
      if (!existsSync(entry)) {
        throw new ForesightError(
          "CONFIG",
          `Cannot start ${role} on node: ${entry} is missing (run npm run build)`,
        );
      }
      return [process.versions.bun || (globalThis as any).Deno ? "node" : process.execPath, entry];
    }
    case "deno":
      return [
        bin(root, "deno"),
        "run",
        // A smaller young generation: V8 otherwise grows it to its maximum under this
        // traffic and the origin's RSS with it (bench/memory.ts: 138 → 81 MiB).
        "--v8-flags=--max-semi-space-size=4",
        "--allow-net",
        "--allow-env",
        "--allow-read",
        "--allow-sys",
        // A client writes its verified files when given --out.
        ...(write ? ["--allow-write"] : []),
        join(root, "roles", `${command}.ts`),
      ];
    case "bun":
      return [bin(root, "bun"), "run", join(root, "roles", `${command}.ts`)];
  }
}

/**
 * The runtime a role runs on for a `--runtime` choice.
 *
 * @throws {ForesightError} CONFIG for a choice that is not node, deno, bun or mixed
 *
 * @example
 * ```ts
 * runtimeOf("mixed", "cache"); // "bun"
 * ```
 */
export function runtimeOf(choice: string, role: Role): Runtime {
  if (choice === "mixed") return role === "origin" ? "deno" : role === "cache" ? "bun" : "node";
  if (choice === "node" || choice === "deno" || choice === "bun") return choice;
  throw new ForesightError(
    "CONFIG",
    `Cannot use --runtime "${choice}": expected node, deno, bun or mixed`,
  );
}
