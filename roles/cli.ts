/**
 * The `foresight` command: `run`, `sim`, `data`, `cache`, `client`.
 *
 * @module
 */

import process from "node:process";
import { cacheMain, clientMain, originMain } from "./mains.ts";
import { runMainCli } from "./run_cli.ts";
import { ForesightError } from "../errors.ts";

const USAGE = `foresight — a demand-aware cache hierarchy over TCP

usage: foresight <command> [flags]     (each command takes --help)
  run       the whole scenario, every role its own process: live progress, an optional
            live dashboard (--dashboard), admin APIs (--admin-port) and report (--report DIR)
  sim       the scenario in virtual time (deterministic, no sockets)
  data      the origin (data server)
  cache     a cache server
  client    a client

Every flag can also be set by an environment variable (FORESIGHT_SCALE, FORESIGHT_ADMIN_PORT, …)
or a JSON --config file; flags win over the environment, the environment over the file.`;

const [command, ...rest] = process.argv.slice(2);
switch (command) {
  case "run":
    try {
      process.exit(await runMainCli(rest));
    } catch (e) {
      process.stderr.write(`foresight run: ${(e as Error).message}\n`);
      process.exit(e instanceof ForesightError && e.code === "CONFIG" ? 2 : 1);
    }
    break;
  case "sim":
    process.exit(await (await import("./sim.ts")).simMainCli(rest));
    break;
  case "data":
    await originMain(rest);
    break;
  case "cache":
    await cacheMain(rest);
    break;
  case "client":
    await clientMain(rest);
    break;
  case undefined:
  case "help":
  case "--help":
  case "-h":
    process.stdout.write(USAGE + "\n");
    break;
  default:
    process.stderr.write(`foresight: unknown command "${command}"\n${USAGE}\n`);
    process.exit(2);
}
