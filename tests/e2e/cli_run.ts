/**
 * `foresight run` as a real process for the end-to-end tests (signal_test.ts,
 * run_lost_test.ts): started with JSON logs, its records collected; its role
 * processes found in /proc; its origin's phase read from `/health`.
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../../roles/run.ts";
import { ROLE_COMMAND } from "../../roles/role_command.ts";

const cli = join(packageRoot(), "dist", "cli.js");
/** A JSON record `foresight run` printed (a log record, a progress line, the report). */
export type Rec = Record<string, any>;

/** A running `foresight run`. */
export interface Run {
  proc: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the first JSON record on stderr that `match` accepts. */
  waitFor(match: (r: Rec) => boolean, what: string, ms?: number): Promise<Rec>;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts `foresight run` with JSON logs, no FORESIGHT_* variable from outside. Its JSON
 * records are collected from stderr and stdout (where progress goes without --json).
 */
export function startRun(args: string[]): Run {
  const env: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("FORESIGHT_")) env[k] = v;
  const proc = spawn(process.execPath, [cli, "run", "--log-format", "json", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env,
  });
  let out = "", err = "";
  const records: Rec[] = [];
  const waiters: { match: (r: Rec) => boolean; resolve: (r: Rec) => void }[] = [];
  const lines = () => {
    let pending = "";
    return (d: string) => {
      pending += d;
      let nl: number;
      while ((nl = pending.indexOf("\n")) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        let r: Rec;
        try {
          r = JSON.parse(line);
        } catch {
          continue;
        }
        records.push(r);
        for (const w of [...waiters]) {
          if (w.match(r)) (waiters.splice(waiters.indexOf(w), 1), w.resolve(r));
        }
      }
    };
  };
  const outLines = lines(), errLines = lines();
  proc.stdout!.setEncoding("utf8").on("data", (d: string) => (out += d, outLines(d)));
  proc.stderr!.setEncoding("utf8").on("data", (d: string) => (err += d, errLines(d)));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on("close", (code, signal) => resolve({ code, signal }))
  );
  return {
    proc,
    stdout: () => out,
    stderr: () => err,
    done,
    waitFor(match, what, ms = 60_000) {
      const seen = records.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no ${what} within ${ms} ms; stderr:\n${err.slice(-3000)}`)),
          ms,
        );
        done.then(() => {
          clearTimeout(timer);
          reject(new Error(`the run ended before ${what}; stderr:\n${err.slice(-3000)}`));
        });
        waiters.push({ match, resolve: (r) => (clearTimeout(timer), resolve(r)) });
      });
    },
  };
}

/** The ids of the processes whose parent is `pid` (from /proc). */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out.sort((a, b) => a - b);
}

/** Waits until `pid` has `n` children that have exec'd their role (or `ms` passed). */
export async function waitForChildren(pid: number, n: number, ms = 20_000): Promise<number[]> {
  const until = Date.now() + ms;
  // A child counts once it has exec'd its role: before that, /proc shows the parent's image
  // (`cli.js run …`, with the parent's environment), so `cli` must not count.
  const started = (p: number) => {
    try {
      return /\b(data|cache|client)\.(js|ts)\b/.test(
        readFileSync(`/proc/${p}/cmdline`, "utf8"),
      );
    } catch {
      return false;
    }
  };
  let pids = childPids(pid);
  while ((pids.length < n || !pids.every(started)) && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 50));
    pids = childPids(pid);
  }
  return pids;
}

/** True while a process with this id exists (signal 0 checks without sending anything). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== "ESRCH";
  }
}

/** Stops what a failed test left running: the run (gently first), then any role of it. */
export async function cleanup(run: Run): Promise<void> {
  if (run.proc.exitCode !== null || run.proc.signalCode !== null) return;
  const pids = childPids(run.proc.pid!);
  run.proc.kill("SIGTERM");
  const timer = setTimeout(() => run.proc.kill("SIGKILL"), 10_000);
  await run.done;
  clearTimeout(timer);
  for (const pid of pids) if (alive(pid)) process.kill(pid, "SIGKILL");
}

/**
 * The process id of `role` `index` among the children of the run `pid`
 * (from each child's command line: the role's entry file and its `--index`).
 */
export function rolePid(pid: number, role: "origin" | "cache" | "client", index = 0): number {
  const found = childPids(pid).find((p) => {
    try {
      const argv = readFileSync(`/proc/${p}/cmdline`, "utf8").split("\0");
      const i = argv.indexOf("--index");
      return argv.some((a) => new RegExp(`\\b${ROLE_COMMAND[role]}\\.(js|ts)$`).test(a)) &&
        (role === "origin" || argv[i + 1] === String(index));
    } catch {
      return false;
    }
  });
  if (found === undefined) throw new Error(`no ${role} ${index} among the children of ${pid}`);
  return found;
}

/**
 * Polls the origin's `/health` (its admin port, printed by the run with
 * `--admin-port 0 --log-level info`) until it says `phase`.
 */
export async function waitForPhase(run: Run, phase: string, ms = 30_000): Promise<void> {
  const admin = await run.waitFor(
    (r) => r.msg === "admin API" && r.role === "origin",
    "the origin's admin port",
    ms,
  );
  const until = Date.now() + ms;
  let seen = "";
  while (Date.now() < until) {
    try {
      seen = (await (await fetch(`http://127.0.0.1:${admin.port}/health`)).json()).phase;
      if (seen === phase) return;
    } catch {
      // not serving yet
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`the origin's /health did not say ${phase} within ${ms} ms (last: ${seen})`);
}
