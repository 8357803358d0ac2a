/**
 * Entry point of the client role: `deno task client`, `bun run roles/client.ts`,
 * `node dist/client.js`. Flags: `--help`.
 *
 * @module
 */
import process from "node:process";
import { clientMain } from "./mains.ts";

await clientMain(process.argv.slice(2));
