/**
 * Entry point of the origin (its command is `data`): `deno task data`, `bun run roles/data.ts`,
 * `node dist/data.js`. Flags: `--help`.
 *
 * @module
 */
import process from "node:process";
import { originMain } from "./mains.ts";

await originMain(process.argv.slice(2));
