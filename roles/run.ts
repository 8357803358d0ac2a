/**
 * Runs a scenario on this machine: every role its own OS process on the
 * runtime asked for, their JSON-line events read from stdout, their logs
 * passed on, and the report built from their summaries. `foresight run`
 * (roles/run_cli.ts) adds the progress, the dashboard and the report files.
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
import { buildReport, type ProcessInfo, type Summary } from "./report.ts";

type Runtime = "node" | "deno" | "bun";
type Role = "data" | "cache" | "client";

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
 * The command line that starts `role` on `runtime`.
 *
 * @example
 * ```ts
 * roleCommand(packageRoot(), "deno", "cache"); // [".../deno", "run", "--allow-net", ..., ".../roles/cache.ts"]
 * ```
 */
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
  if (choice === "mixed") return role === "data" ? "deno" : role === "cache" ? "bun" : "node";
  if (choice === "node" || choice === "deno" || choice === "bun") return choice;
  throw new ForesightError(
    "CONFIG",
    `Cannot use --runtime "${choice}": expected node, deno, bun or mixed`,
  );
}

/**
 * Runs a scenario end to end and returns the report.
 *
 * @example
 * ```ts
 * const report = await runScenario(scenario, { runtime: "node", host: "127.0.0.1", logLevel: "warn", timeoutS: 120, adminPort: 0 });
 * ```
 */
export async function runScenario(
  scenario: Scenario,
  opts: {
    runtime: string;
    host: string;
    logLevel: string;
    timeoutS: number;
    onEvent?: (child: { role: Role; index: number }, e: Record<string, any>) => void;
    /** Serve every role's admin API: 0 = each picks a port; N = consecutive ports from N. */
    adminPort?: number;
    /** How often each role prints a stats event (default: 100 ms, slower for many processes). */
    statsMs?: number;
    /** A shared secret for every role, passed in their environment (FORESIGHT_SECRET). */
    secret?: string;
    /** The roles' log format (default pretty). */
    logFormat?: "pretty" | "json";
    /** Where the roles' log lines go (default stderr); whole lines, each ending in a newline. */
    writeLog?: (text: string) => void;
  },
): Promise<ReturnType<typeof buildReport>> {
  const root = packageRoot();
  const children: Child[] = [];
  const errors: string[] = [];
  const t0 = performance.now();
  let originAddr: { host: string; port: number } | undefined;
  let onListening!: () => void;
  const listening = new Promise<void>((r) => (onListening = r));

  const count = 1 + scenario.caches + scenario.clients;
  const statsMs = opts.statsMs ?? (count <= 16 ? 100 : count <= 128 ? 250 : 1000);
  const writeLog = opts.writeLog ?? ((text: string) => void process.stderr.write(text));
  const logFormat = opts.logFormat ?? "pretty";
  // The roles get every setting as a flag: FORESIGHT_* variables meant for this command stay here.
  const env: Record<string, string | undefined> = { NO_COLOR: "1", RUST_BACKTRACE: "0" };
  for (const [k, val] of Object.entries(process.env)) {
    if (!k.startsWith("FORESIGHT_")) env[k] ??= val;
  }
  if (opts.secret !== undefined) env.FORESIGHT_SECRET = opts.secret;
  const adminPortOf = (role: Role, index: number): string[] => {
    if (opts.adminPort === undefined) return [];
    if (opts.adminPort === 0) return ["--admin-port", "0"];
    const offset = role === "data" ? 0 : role === "cache" ? 1 + index : 1 + scenario.caches + index;
    return ["--admin-port", String(opts.adminPort + offset)];
  };

  const start = (role: Role, index: number, args: string[]): Child => {
    const runtime = runtimeOf(opts.runtime, role);
    const [cmd, ...rest] = roleCommand(root, runtime, role);
    const proc = spawn(cmd!, [
      ...rest,
      ...args,
      ...adminPortOf(role, index),
      "--stats-ms",
      String(statsMs),
      "--log-level",
      opts.logLevel,
      "--log-format",
      logFormat,
    ], { stdio: ["ignore", "pipe", "pipe"], env });
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
    let errBuf = "";
    const forward = (lines: string[]) => {
      const text = lines.filter((l) => l).map((l) =>
        logFormat === "json" ? jsonLogLine(l, { role, index, runtime }) : tag + l
      ).join("\n");
      if (text) writeLog(text + "\n");
    };
    proc.stderr!.on("data", (d: string) => {
      errBuf += d;
      const nl = errBuf.lastIndexOf("\n");
      if (nl < 0) return;
      forward(errBuf.slice(0, nl).split("\n"));
      errBuf = errBuf.slice(nl + 1);
    });
    proc.stderr!.on("end", () => forward([errBuf]));
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

/**
 * A role's stderr line as one JSON log record: its own record with the
 * process's index and runtime added, or (a line that is not JSON, e.g. a
 * runtime's crash report) the line as the message of an error record.
 */
function jsonLogLine(line: string, who: { role: Role; index: number; runtime: Runtime }): string {
  try {
    const rec = JSON.parse(line);
    if (rec && typeof rec === "object" && !Array.isArray(rec)) {
      return JSON.stringify({ ...rec, index: who.index, runtime: who.runtime });
    }
  } catch {
    // not JSON: wrapped below
  }
  return JSON.stringify({
    t: new Date().toISOString(),
    level: "error",
    role: who.role,
    index: who.index,
    runtime: who.runtime,
    msg: line,
  });
}
