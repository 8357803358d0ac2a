/**
 * Entry point of the data role: `deno task data`, `bun run roles/data.ts`,
 * `node dist/data.js`. Flags: `--help`.
 *
 * @module
 */
import process from "node:process";
import { dataMain } from "./mains.ts";

await dataMain(process.argv.slice(2));
