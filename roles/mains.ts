/**
 * The three roles' main functions: flags in, a running role, a summary out.
 * `roles/data.ts`, `roles/cache.ts` and `roles/client.ts` call these; so does
 * `foresight data|cache|client`.
 *
 * @module
 */

import process from "node:process";
import { runOrigin } from "../live/origin.ts";
import { runCache } from "../live/cache.ts";
import { runClient } from "../live/client.ts";
import type { LogLevel } from "../core/log.ts";
import { ForesightError } from "../errors.ts";
import {
  adapterFor,
  commonFlags,
  emitEvent,
  parseAddress,
  parseFlags,
  runMain,
  scenarioFlags,
  scenarioFrom,
  scenarioHelp,
  stderrLogger,
} from "./common.ts";

const USAGE = {
  data: `foresight data — the origin (data server)

  --listen host:port       where to listen (default 127.0.0.1:9000; port 0 picks one)
${scenarioHelp()}
  --log-level, --log-format, --runtime node|deno|bun`,
  cache: `foresight cache — a cache server

  --origin host:port       the origin (default 127.0.0.1:9000)
  --listen host:port       where clients connect (default 127.0.0.1:0)
  --advertise host:port    the address clients are given (default: the listen address)
  --index N                ask for this cache index
  --log-level, --log-format, --runtime node|deno|bun`,
  client: `foresight client — a client

  --origin host:port       the origin (default 127.0.0.1:9000)
  --index N                ask for this client index
  --log-level, --log-format, --runtime node|deno|bun`,
};

function logger(role: string, values: Record<string, unknown>) {
  return stderrLogger(
    role,
    (values["log-level"] as LogLevel) ?? "info",
    values["log-format"] === "json" ? "json" : "pretty",
  );
}

function helpOr(role: keyof typeof USAGE, values: Record<string, unknown>): boolean {
  if (!values.help) return false;
  process.stdout.write(USAGE[role] + "\n");
  process.exit(0);
}

function index(values: Record<string, unknown>): number | undefined {
  if (values.index === undefined) return undefined;
  const n = Number(values.index);
  if (!Number.isInteger(n) || n < 0) {
    throw new ForesightError(
      "CONFIG",
      `Cannot use --index "${values.index}": expected a whole number`,
    );
  }
  return n;
}

/** `foresight data`: the origin. */
export function dataMain(argv: string[]): Promise<never> {
  return runMain("data", async () => {
    const values = parseFlags(argv, {
      ...commonFlags,
      ...scenarioFlags,
      listen: { type: "string", default: "127.0.0.1:9000" },
    });
    helpOr("data", values);
    const scenario = scenarioFrom(values);
    const adapter = await adapterFor(values);
    const log = logger("data", values);
    const summary = await runOrigin({
      scenario,
      adapter,
      log,
      listen: parseAddress(values.listen as string, "listen"),
      onListening: (a) =>
        emitEvent({ event: "listening", role: "data", host: a.host, port: a.port }),
      onEvent: emitEvent,
    });
    return { ...summary, scenario };
  });
}

/** `foresight cache`: a cache server. */
export function cacheMain(argv: string[]): Promise<never> {
  return runMain("cache", async () => {
    const values = parseFlags(argv, {
      ...commonFlags,
      origin: { type: "string", default: "127.0.0.1:9000" },
      listen: { type: "string", default: "127.0.0.1:0" },
      advertise: { type: "string" },
      index: { type: "string" },
    });
    helpOr("cache", values);
    const adapter = await adapterFor(values);
    return await runCache({
      adapter,
      log: logger("cache", values),
      origin: parseAddress(values.origin as string, "origin"),
      listen: parseAddress(values.listen as string, "listen"),
      advertise: values.advertise
        ? parseAddress(values.advertise as string, "advertise")
        : undefined,
      index: index(values),
      onEvent: emitEvent,
    });
  });
}

/** `foresight client`: a client. */
export function clientMain(argv: string[]): Promise<never> {
  return runMain("client", async () => {
    const values = parseFlags(argv, {
      ...commonFlags,
      origin: { type: "string", default: "127.0.0.1:9000" },
      index: { type: "string" },
    });
    helpOr("client", values);
    const adapter = await adapterFor(values);
    return await runClient({
      adapter,
      log: logger("client", values),
      origin: parseAddress(values.origin as string, "origin"),
      index: index(values),
      onEvent: emitEvent,
    });
  });
}
