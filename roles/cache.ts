/**
 * Entry point of the cache role: `deno task cache`, `bun run roles/cache.ts`,
 * `node dist/cache.js`. Flags: `--help`.
 *
 * @module
 */
import process from "node:process";
import { cacheMain } from "./mains.ts";

await cacheMain(process.argv.slice(2));
