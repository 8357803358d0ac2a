/**
 * Peak memory of every role, against what the same runtime holds doing
 * nothing, measured in the same run. Per runtime: first an idle process of
 * each role (the very command `foresight run` launches, so the same modules
 * and runtime flags, with nobody to talk to), then the scenario itself, every
 * role its own process as `foresight run` starts them. Printed per process:
 * its peak RSS (the `processes[]` figure of the run's report), the idle
 * process's peak, and the difference: what the role's work adds.
 *
 *   npm run build && npx bun bench/memory.ts             # canonical scenario, node, deno, bun
 *   npx bun bench/memory.ts --runtime deno,mixed
 *   node bench/run.mjs memory --runtime node              # driven from Node
 *
 * Flags: the scenario flags of `foresight run` (default the canonical
 * scenario, about 2 minutes per runtime: shorter runs stop before the peak,
 * as the caches fill in the first seconds but a Deno origin's young
 * generation grows for about a minute), `--runtime` (a comma list of node,
 * deno, bun, mixed; default node,deno,bun), `--idle-s` (how long each idle
 * process lives, default 3). The roles inherit the environment, so
 * `DENO_V8_FLAGS`, `NODE_OPTIONS` or `BUN_JSC_*` try a runtime flag before it
 * goes into `roleCommand` (roles/run.ts).
 * Node roles run `dist/*.js`: build first. The idle figure is sampled like
 * the roles sample themselves (RSS every 100 ms, `/proc/<pid>/status`, so
 * Linux only; elsewhere it shows `?`). RSS does not depend on CPU load the way
 * throughput does, but garbage collection timing does a little: the load
 * average is printed with each runtime.
 *
 * @module
 */

import process from "node:process";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { scenarioFlags, scenarioFrom } from "../roles/common.ts";
import { packageRoot, roleCommand, runScenario, runtimeOf } from "../roles/run.ts";
import { mib } from "./peak_rss.ts";

type Role = "origin" | "cache" | "client";
type Runtime = "node" | "deno" | "bun";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    ...scenarioFlags,
    runtime: { type: "string", default: "node,deno,bun" },
    "idle-s": { type: "string", default: "3" },
  },
});

const CHOICES = ["node", "deno", "bun", "mixed"];
const choices = String(values.runtime).split(",");
for (const c of choices) {
  if (!CHOICES.includes(c)) {
    console.error(`memory: --runtime ${c} is not one of ${CHOICES.join(", ")}`);
    process.exit(2);
  }
}
const idleMs = Number(values["idle-s"]) * 1000;
if (!(idleMs > 0)) {
  console.error(`memory: --idle-s ${values["idle-s"]} is not a positive number`);
  process.exit(2);
}

/** The resident set of `pid` in bytes, or undefined (gone, or not Linux). */
function rssOf(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** A loopback port nothing listens on: idle caches and clients retry it. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Starts `role` on `runtime` with nobody to talk to (the origin listens,
 * caches and clients retry a closed port), samples its RSS every 100 ms for
 * `idleMs`, stops it and returns the peak, or undefined when unreadable.
 */
async function idlePeak(runtime: Runtime, role: Role): Promise<number | undefined> {
  const [cmd, ...rest] = roleCommand(packageRoot(), runtime, role);
  const port = await deadPort();
  const args = role === "origin"
    ? ["--listen", "127.0.0.1:0"]
    : ["--origin", `127.0.0.1:${port}`, "--connect-deadline-ms", "600000"];
  if (role === "cache") args.push("--listen", "127.0.0.1:0");
  const proc = spawn(cmd!, [...rest, ...args, "--stats-ms", "100", "--log-level", "error"], {
    stdio: ["ignore", "ignore", "ignore"],
    env: { ...process.env, NO_COLOR: "1", RUST_BACKTRACE: "0" },
  });
  const exited = new Promise((resolve) => proc.on("exit", resolve));
  let peak: number | undefined;
  const t0 = performance.now();
  while (performance.now() - t0 < idleMs && proc.exitCode === null) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const r = rssOf(proc.pid!);
    if (r !== undefined) peak = Math.max(peak ?? 0, r);
  }
  proc.kill("SIGKILL");
  await exited;
  return peak;
}

const scenario = scenarioFrom(values);
console.log(
  `memory benchmark: ${scenario.files} files, ${scenario.caches} caches, ${scenario.clients} ` +
    `clients × ${scenario.requests} requests, ${scenario.capacityKiB} KiB per cache, scale ` +
    `${scenario.scale}, policy ${scenario.policy}; runtimes ${choices.join(", ")}`,
);
const summary: string[] = [];
for (const choice of choices) {
  const load0 = loadavg()[0]!;
  const roles: Role[] = ["origin", "cache", "client"];
  const idle = new Map<Role, number | undefined>();
  for (const role of roles) {
    idle.set(role, await idlePeak(runtimeOf(choice, role), role));
  }
  const pages = new Map<number, number>();
  const report = await runScenario(scenario, {
    runtime: choice,
    host: "127.0.0.1",
    logLevel: "error",
    timeoutS: 3600,
    onEvent: (who, e) => {
      if (e.event === "stats" && who.role === "cache" && typeof e.pagesAllocated === "number") {
        pages.set(who.index, Math.max(pages.get(who.index) ?? 0, e.pagesAllocated));
      }
    },
  });
  console.log(
    `\n${choice}: ${report.ok ? "ok" : "FAILED " + report.errors.join("; ")}, ` +
      `${report.wallSeconds.toFixed(0)} s wall, load average ${load0.toFixed(1)} → ${
        loadavg()[0]!.toFixed(1)
      }`,
  );
  console.log("process    runtime  peak MiB  idle MiB  added MiB  cache pages MiB");
  const worst = new Map<Role, { peak: number; added: number }>();
  for (const p of report.processes) {
    const role = p.role as Role;
    const base = idle.get(role);
    const added = base === undefined ? undefined : p.peakRssBytes - base;
    const page = p.role === "cache" ? pages.get(p.index) : undefined;
    console.log(
      `${(p.role + (p.role === "origin" ? "" : p.index)).padEnd(10)} ${p.runtime.padEnd(7)} ${
        mib(p.peakRssBytes).padStart(9)
      } ${(base === undefined ? "?" : mib(base)).padStart(9)} ${
        (added === undefined ? "?" : mib(added)).padStart(10)
      } ${(page === undefined ? "" : mib(page * 65_536)).padStart(16)}`,
    );
    const w = worst.get(role);
    if (w === undefined || p.peakRssBytes > w.peak) {
      worst.set(role, { peak: p.peakRssBytes, added: added ?? NaN });
    }
  }
  summary.push(
    `${choice.padEnd(7)} ${
      roles.map((r) => {
        const w = worst.get(r);
        return w === undefined
          ? "-".padStart(14)
          : `${mib(w.peak)} (+${mib(w.added)})`.padStart(14);
      }).join(" ")
    }  ${report.ok ? "ok" : "FAILED"}`,
  );
}
console.log("\nlargest peak RSS per role in MiB (and what it adds to its idle process)");
console.log("runtime         origin          cache         client");
for (const row of summary) console.log(row);
