/**
 * `foresight run`: the whole system on this machine, every role its own OS
 * process on the runtime asked for, live progress, and a report at the end.
 *
 * @module
 */

import process from "node:process";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Scenario } from "../core/scenario.ts";
import { ForesightError } from "../errors.ts";
import { buildReport, type ProcessInfo, renderReport, type Summary } from "./report.ts";
import { parseFlags, scenarioFlags, scenarioFrom, scenarioHelp } from "./common.ts";
import { Progress } from "./progress.ts";

type Runtime = "node" | "deno" | "bun";
type Role = "data" | "cache" | "client";

const USAGE = `foresight run — the canonical scenario (or yours), every role its own process

${scenarioHelp()}
  --runtime node|deno|bun|mixed   default node; mixed = origin on Deno, caches on Bun, clients on Node
  --host H                        loopback address the roles use (default 127.0.0.1)
  --json                          last stdout line is the report as JSON
  --timeout S                     give up after S wall seconds (default 1800)
  --log-level L                   the roles' log level (default warn)
  --help`;

/** The package root: the nearest folder above this file with a package.json. */
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

/** The command line that starts `role` on `runtime`. */
export function roleCommand(root: string, runtime: Runtime, role: Role): string[] {
  switch (runtime) {
    case "node": {
      const entry = join(root, "dist", `${role}.js`);
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
        "--allow-net",
        "--allow-env",
        "--allow-read",
        "--allow-sys",
        join(root, "roles", `${role}.ts`),
      ];
    case "bun":
      return [bin(root, "bun"), "run", join(root, "roles", `${role}.ts`)];
  }
}

interface Child {
  role: Role;
  index: number;
  runtime: Runtime;
  proc: ChildProcess;
  summary?: Summary;
  exit: Promise<number | null>;
}

function runtimeOf(choice: string, role: Role): Runtime {
  if (choice === "mixed") return role === "data" ? "deno" : role === "cache" ? "bun" : "node";
  if (choice === "node" || choice === "deno" || choice === "bun") return choice;
  throw new ForesightError(
    "CONFIG",
    `Cannot use --runtime "${choice}": expected node, deno, bun or mixed`,
  );
}

/** Runs a scenario end to end and returns the report. */
export async function runScenario(
  scenario: Scenario,
  opts: {
    runtime: string;
    host: string;
    logLevel: string;
    timeoutS: number;
    onEvent?: (child: { role: Role; index: number }, e: Record<string, any>) => void;
  },
): Promise<ReturnType<typeof buildReport>> {
  const root = packageRoot();
  const children: Child[] = [];
  const errors: string[] = [];
  const t0 = performance.now();
  let originAddr: { host: string; port: number } | undefined;
  let onListening!: () => void;
  const listening = new Promise<void>((r) => (onListening = r));

  const start = (role: Role, index: number, args: string[]): Child => {
    const runtime = runtimeOf(opts.runtime, role);
    const [cmd, ...rest] = roleCommand(root, runtime, role);
    const proc = spawn(cmd!, [...rest, ...args, "--log-level", opts.logLevel], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, NO_COLOR: "1", RUST_BACKTRACE: "0" },
    });
    const child: Child = {
      role,
      index,
      runtime,
      proc,
      exit: new Promise((resolve) => {
        proc.on("exit", (code) => resolve(code));
        proc.on("error", (e) => {
          errors.push(`${role} ${index}: cannot start ${cmd}: ${e.message}`);
          resolve(127);
        });
      }),
    };
    let buf = "";
    proc.stdout!.setEncoding("utf8");
    proc.stdout!.on("data", (d: string) => {
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        let e: Record<string, any>;
        try {
          e = JSON.parse(line);
        } catch {
          continue;
        }
        if (e.event === "summary") child.summary = e as Summary;
        if (e.event === "listening" && role === "data") {
          originAddr = { host: opts.host, port: e.port };
          onListening();
        }
        opts.onEvent?.({ role, index }, e);
      }
    });
    proc.stderr!.setEncoding("utf8");
    const tag = `[${role}${role === "data" ? "" : index}/${runtime}] `;
    proc.stderr!.on("data", (d: string) => {
      process.stderr.write(d.split("\n").filter((l) => l).map((l) => tag + l + "\n").join(""));
    });
    children.push(child);
    return child;
  };

  const killAll = (signal: NodeJS.Signals = "SIGTERM") => {
    for (const c of children) if (c.proc.exitCode === null) c.proc.kill(signal);
  };
  const onSignal = () => {
    errors.push("interrupted");
    killAll();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  const flags = [
    "--files",
    scenario.files,
    "--caches",
    scenario.caches,
    "--clients",
    scenario.clients,
    "--requests",
    scenario.requests,
    "--capacity-kib",
    scenario.capacityKiB,
    "--rate-origin-client",
    scenario.rateOriginClient,
    "--rate-origin-cache",
    scenario.rateOriginCache,
    "--rate-cache-client",
    scenario.rateCacheClient,
    "--scale",
    scenario.scale,
    "--seed",
    scenario.seed,
    "--policy",
    scenario.policy,
  ].map(String);

  const timeout = setTimeout(() => {
    errors.push(`timed out after ${opts.timeoutS} s`);
    killAll("SIGKILL");
  }, opts.timeoutS * 1000);
  try {
    const origin = start("data", 0, [...flags, "--listen", `${opts.host}:0`]);
    await Promise.race([listening, origin.exit]);
    if (originAddr) {
      const at = `${originAddr.host}:${originAddr.port}`;
      for (let i = 0; i < scenario.caches; i++) {
        start("cache", i, ["--origin", at, "--index", String(i), "--listen", `${opts.host}:0`]);
      }
      for (let i = 0; i < scenario.clients; i++) {
        start("client", i, ["--origin", at, "--index", String(i)]);
      }
    } else {
      errors.push("the origin exited before listening");
    }
    // When one process fails, the others get a grace period, then are stopped.
    for (const c of children) {
      c.exit.then((code) => {
        if (code !== 0) setTimeout(() => killAll(), 15_000);
      });
    }
    await Promise.all(children.map((c) => c.exit));
  } finally {
    clearTimeout(timeout);
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  const processes: ProcessInfo[] = [];
  for (const c of children) {
    const code = await c.exit;
    processes.push({
      role: c.role,
      index: c.index,
      runtime: c.runtime,
      exitCode: code,
      peakRssBytes: c.summary?.peakRssBytes ?? 0,
    });
    if (code !== 0) {
      errors.push(
        `${c.role} ${c.index} exited ${code}${c.summary?.error ? `: ${c.summary.error}` : ""}`,
      );
    }
  }
  const summaries = children.map((c) => c.summary).filter((s): s is Summary => s !== undefined);
  return buildReport(scenario, summaries, processes, (performance.now() - t0) / 1000, errors);
}

/** `foresight run` main. */
export async function runMainCli(argv: string[]): Promise<number> {
  const values = parseFlags(argv, {
    ...scenarioFlags,
    runtime: { type: "string", default: "node" },
    host: { type: "string", default: "127.0.0.1" },
    json: { type: "boolean", default: false },
    timeout: { type: "string", default: "1800" },
    "log-level": { type: "string", default: "warn" },
    help: { type: "boolean", short: "h", default: false },
  });
  if (values.help) {
    process.stdout.write(USAGE + "\n");
    return 0;
  }
  const scenario = scenarioFrom(values);
  const json = values.json === true;
  const progress = new Progress(scenario, json ? process.stderr : process.stdout);
  const report = await runScenario(scenario, {
    runtime: values.runtime as string,
    host: values.host as string,
    logLevel: values["log-level"] as string,
    timeoutS: Number(values.timeout),
    onEvent: (who, e) => progress.event(who, e),
  });
  progress.finish();
  if (json) process.stdout.write(JSON.stringify(report) + "\n");
  else process.stdout.write(renderReport(report) + "\n");
  return report.ok ? 0 : 1;
}
