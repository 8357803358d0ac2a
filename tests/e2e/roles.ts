/**
 * Role processes for the fault tests (faults_test.ts, reset_test.ts) and the
 * fault table (bench/faults.ts): each role a real Node process started from
 * `dist/`, its JSON-line stdout events collected, and a cluster builder (an
 * origin, 2 caches, 4 clients on a small scenario) with hooks for a late
 * origin and a resetting TCP proxy (tcp_proxy.ts) in front of cache 0.
 *
 * Runs on Node and Bun (node:child_process, node:net).
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { createInterface } from "node:readline";
import { packageRoot, roleCommand } from "../../roles/run.ts";
import { type ProxyOptions, startProxy, type TcpProxy } from "./tcp_proxy.ts";

/** A JSON event a role printed on stdout. */
export type Event = Record<string, any>;
/** The three roles. */
export type RoleName = "origin" | "cache" | "client";

/** A running role process. */
export interface Role {
  readonly role: RoleName;
  readonly proc: ChildProcess;
  /** Every event so far, in order. */
  readonly events: Event[];
  /** Its exit code (null when a signal ended it), once its stdout is read to the end. */
  readonly exit: Promise<number | null>;
  /** What it wrote on stderr so far. */
  stderr(): string;
  /**
   * Resolves with the first event (already seen or to come) that `match`
   * accepts; rejects after `ms`, or once the process has ended without one.
   */
  waitFor(match: (e: Event) => boolean, ms?: number): Promise<Event>;
}

/** Options of {@link startRole}. */
export interface RoleOptions {
  /** `--log-level` (default "warn"). */
  readonly logLevel?: string;
}

/** Every role process started here that has not exited yet (see {@link killStragglers}). */
const live = new Set<ChildProcess>();

/** Starts `role` on Node with `args` (and `--log-level`). */
export function startRole(role: RoleName, args: string[], options: RoleOptions = {}): Role {
  const [cmd, ...rest] = roleCommand(packageRoot(), "node", role);
  return startProcess(role, [cmd!, ...rest, ...args, "--log-level", options.logLevel ?? "warn"]);
}

/**
 * Starts `command` (a role's own launch command, e.g. `deno task data …`) in
 * the package root as `role`, in a process group of its own: a launcher that
 * starts the role as its child (`deno task`) goes with it on a kill
 * ({@link killGroup}, {@link killStragglers}).
 */
export function startProcess(
  role: RoleName,
  command: string[],
  env: Record<string, string | undefined> = process.env,
): Role {
  const [cmd, ...args] = command;
  const proc = spawn(cmd!, args, {
    cwd: packageRoot(),
    env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  live.add(proc);
  const events: Event[] = [];
  const waiters = new Set<{ match: (e: Event) => boolean; settle: (e?: Event) => void }>();
  let err = "";
  createInterface({ input: proc.stdout!, crlfDelay: Infinity }).on("line", (line: string) => {
    let e: Event;
    try {
      e = JSON.parse(line);
    } catch {
      return; // not an event
    }
    events.push(e);
    for (const w of [...waiters]) if (w.match(e)) w.settle(e);
  });
  proc.stderr!.setEncoding("utf8");
  proc.stderr!.on("data", (d: string) => (err += d));
  proc.on("exit", () => live.delete(proc));
  // "close" comes after "exit" and after stdout has ended: every event is in
  // by then (a summary is read after `exit`), and a waiter still waiting is
  // told at once that none will come.
  let closed = false;
  const exit = new Promise<number | null>((resolve) =>
    proc.on("close", (code) => {
      closed = true;
      for (const w of [...waiters]) w.settle();
      resolve(code);
    })
  );
  return {
    role,
    proc,
    events,
    exit,
    stderr: () => err,
    waitFor(match, ms = 30_000) {
      const seen = events.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        if (closed) return reject(new Error(`${role} ended without a matching event`));
        const w = {
          match,
          settle(e?: Event) {
            clearTimeout(timer);
            waiters.delete(w);
            if (e) resolve(e);
            else reject(new Error(`${role} ended without a matching event`));
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(w);
          reject(new Error(`${role}: no matching event within ${ms} ms`));
        }, ms);
        waiters.add(w);
      });
    },
  };
}

/** A role's `summary` event (its last line), if it printed one. */
export const summaryOf = (r: Role): Event | undefined =>
  r.events.find((e) => e.event === "summary");

/** A `progress` event with at least `n` files. */
export const hasFiles = (n: number) => (e: Event): boolean =>
  e.event === "progress" && e.files >= n;

/** SIGKILLs every role process started here that is still running, with its group (for `after()`). */
export function killStragglers(): void {
  for (const p of live) killGroup(p);
}

/** SIGKILLs a process started here and every process of its group. */
export function killGroup(p: ChildProcess): void {
  try {
    process.kill(-p.pid!, "SIGKILL");
  } catch {
    p.kill("SIGKILL"); // the group is gone already
  }
}

/** The process state letter of `pid` from /proc (R, S, T, Z, …), or undefined once it is gone. */
function procState(pid: number): string | undefined {
  try {
    // "pid (comm) S …": the state follows the last ")".
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  } catch {
    return undefined;
  }
}

/** Polls `ready` every 5 ms until it holds, or rejects after `ms`. */
export async function until(ready: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ready()) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * Stops a process with SIGSTOP and resolves once the kernel says it is
 * stopped: from then on it does nothing at all, so whatever waits on it (a
 * warm-up, the end of the run) stays where it is until {@link thaw}. A fault
 * test pins a phase of the run this way, then injects its fault in that phase.
 */
export async function freeze(r: Role | number): Promise<void> {
  const pid = typeof r === "number" ? r : r.proc.pid!;
  process.kill(pid, "SIGSTOP");
  await until(() => procState(pid) === "T", `process ${pid} stopped`);
}

/** Resumes a process stopped by {@link freeze}. */
export async function thaw(r: Role | number): Promise<void> {
  const pid = typeof r === "number" ? r : r.proc.pid!;
  process.kill(pid, "SIGCONT");
  await until(() => procState(pid) !== "T", `process ${pid} resumed`);
}

/** The origin's `cache-lost` / `client-lost` event for `role` `index`. */
export const lostEvent = (role: "cache" | "client", index: number) => (e: Event): boolean =>
  e.event === `${role}-lost` && e.index === index;

/** The origin's `list` event of client `i` (its request list is in). */
export const listOf = (i: number) => (e: Event): boolean => e.event === "list" && e.client === i;

/** Settles with `p`, or rejects after `ms` saying what did not happen. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** An origin `phase` event: the run entered `phase` (warming, running, stopping). */
export const phaseIs = (phase: string) => (e: Event): boolean =>
  e.event === "phase" && e.phase === phase;

/** A loopback port free a moment ago (for a role that must listen where a proxy points). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Requests per client in the small scenario. */
export const REQUESTS = 50;

/** Options of {@link startCluster}; every field has a default. */
export interface ClusterOptions {
  /** `--policy` (default "foresight"). */
  readonly policy?: string;
  /** `--scale` (default 20: a run takes a second or two). */
  readonly scale?: number;
  /** `--seed` (default 6). */
  readonly seed?: number;
  /** `--capacity-kib` per cache (default 3000). */
  readonly capacityKiB?: number;
  /** `--log-level` of every role (default "warn"). */
  readonly logLevel?: string;
  /**
   * Start the origin last: caches and clients first, pointed at a port free a
   * moment ago, the origin on that port this many ms later.
   */
  readonly originLateMs?: number;
  /**
   * Start the origin last, once this resolves: it is given the caches and
   * clients, already started and pointed at a port free a moment ago (e.g. to
   * wait until each has said it is retrying). Wins over `originLateMs`.
   */
  readonly originWhen?: (started: Role[]) => Promise<unknown>;
  /**
   * A proxy that cuts connections (tcp_proxy.ts): `"cache-client"` puts it
   * between the clients and cache 0 (cache 0 advertises the proxy's port),
   * `"origin-cache"` between cache 0 and the origin.
   */
  readonly proxy?: {
    readonly between: "cache-client" | "origin-cache";
    readonly reset: NonNullable<ProxyOptions["reset"]>;
  };
  /**
   * `--idle-ms` of every role started here: how long a connection may bring
   * nothing before it is closed (default: the roles' own, 30 s).
   */
  readonly idleMs?: number;
  /**
   * The client places to start now (default all four); the others wait for
   * {@link startClient}, and until their lists are in the run cannot leave
   * its registering phase.
   */
  readonly clients?: readonly number[];
}

/** A running cluster. */
export interface Cluster {
  readonly origin: Role;
  readonly caches: Role[];
  readonly clients: Role[];
  /** The origin's address, host:port. */
  readonly at: string;
  /** Set when {@link ClusterOptions.proxy} was. */
  readonly proxy?: TcpProxy;
  /** The origin's flags (scenario, policy, scale), for a role started later. */
  readonly flags: string[];
  readonly logLevel: string;
}

/**
 * An origin, 2 caches and 4 clients, each its own process, on a small
 * scenario (400 files, {@link REQUESTS} requests per client).
 */
export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const { policy = "foresight", scale = 20, seed = 6, capacityKiB = 3000 } = options;
  const logLevel = options.logLevel ?? "warn";
  const idle = options.idleMs === undefined ? [] : ["--idle-ms", String(options.idleMs)];
  const start = (role: RoleName, args: string[]) =>
    startRole(role, [...args, ...idle], { logLevel });
  const flags = [
    "--files",
    "400",
    "--requests",
    String(REQUESTS),
    "--capacity-kib",
    String(capacityKiB),
    "--seed",
    String(seed),
    "--policy",
    policy,
    "--scale",
    String(scale),
  ];
  let origin: Role | undefined;
  let port: number;
  const late = options.originLateMs !== undefined || options.originWhen !== undefined;
  if (!late) {
    origin = start("origin", [...flags, "--listen", "127.0.0.1:0"]);
    port = (await origin.waitFor((e) => e.event === "listening")).port;
  } else {
    port = await freePort();
  }
  const at = `127.0.0.1:${port}`;
  let proxy: TcpProxy | undefined;
  let cache0 = ["--origin", at];
  if (options.proxy?.between === "cache-client") {
    // Cache 0 listens on a known port; clients are given the proxy's.
    const cachePort = await freePort();
    proxy = await startProxy({
      target: { host: "127.0.0.1", port: cachePort },
      reset: options.proxy.reset,
    });
    cache0 = [
      ...cache0,
      "--listen",
      `127.0.0.1:${cachePort}`,
      "--advertise",
      `127.0.0.1:${proxy.port}`,
    ];
  } else if (options.proxy?.between === "origin-cache") {
    proxy = await startProxy({ target: { host: "127.0.0.1", port }, reset: options.proxy.reset });
    cache0 = ["--origin", `127.0.0.1:${proxy.port}`];
  }
  const caches = [
    start("cache", [...cache0, "--index", "0"]),
    start("cache", ["--origin", at, "--index", "1"]),
  ];
  const clients: Role[] = [];
  for (const i of options.clients ?? [0, 1, 2, 3]) {
    clients[i] = start("client", ["--origin", at, "--index", String(i)]);
  }
  if (origin === undefined) {
    await (options.originWhen?.([...caches, ...clients.filter((r) => r !== undefined)]) ??
      new Promise((r) => setTimeout(r, options.originLateMs)));
    origin = start("origin", [...flags, "--listen", at]);
  }
  return { origin, caches, clients, at, proxy, flags, logLevel };
}

/** Starts another cache for the cluster's origin (e.g. `["--index", "0"]` to take a lost one's place). */
export const startCache = (c: Cluster, args: string[]): Role =>
  startRole("cache", ["--origin", c.at, ...args], { logLevel: c.logLevel });

/** Starts the client in place `index` that {@link ClusterOptions.clients} held back. */
export function startClient(c: Cluster, index: number): Role {
  const r = startRole("client", ["--origin", c.at, "--index", String(index)], {
    logLevel: c.logLevel,
  });
  c.clients[index] = r;
  return r;
}

/** Every process of the cluster: the origin, the caches, the clients (those started). */
export const rolesOf = (c: Cluster): Role[] =>
  [c.origin, ...c.caches, ...c.clients].filter((r) => r !== undefined);

/** Every process's summary and stderr, for assertion messages. */
export const story = (c: Cluster, more: Role[] = []): string =>
  [...rolesOf(c), ...more].map((r) => `${JSON.stringify(summaryOf(r))}\n${r.stderr()}`)
    .join("\n");

/** Kills whatever is left of a cluster (and of `more`) and closes its proxy. */
export async function teardown(c: Cluster, more: Role[] = []): Promise<void> {
  for (const r of [...rolesOf(c), ...more]) {
    if (r.proc.exitCode === null && r.proc.signalCode === null) r.proc.kill("SIGKILL");
  }
  await c.proxy?.close();
}
