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
import { createServer } from "node:net";
import { createInterface } from "node:readline";
import { packageRoot, roleCommand } from "../../roles/run.ts";
import { type ProxyOptions, startProxy, type TcpProxy } from "./tcp_proxy.ts";

/** A JSON event a role printed on stdout. */
export type Event = Record<string, any>;
/** The three roles. */
export type RoleName = "data" | "cache" | "client";

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
  const proc = spawn(cmd!, [...rest, ...args, "--log-level", options.logLevel ?? "warn"], {
    stdio: ["ignore", "pipe", "pipe"],
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

/** SIGKILLs every role process started here that is still running (for `after()`). */
export function killStragglers(): void {
  for (const p of live) p.kill("SIGKILL");
}

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
  if (options.originLateMs === undefined) {
    origin = start("data", [...flags, "--listen", "127.0.0.1:0"]);
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
  const clients = [0, 1, 2, 3].map((i) => start("client", ["--origin", at, "--index", String(i)]));
  if (origin === undefined) {
    await new Promise((r) => setTimeout(r, options.originLateMs));
    origin = start("data", [...flags, "--listen", at]);
  }
  return { origin, caches, clients, at, proxy, flags, logLevel };
}

/** Starts another cache for the cluster's origin (e.g. `["--index", "0"]` to take a lost one's place). */
export const startCache = (c: Cluster, args: string[]): Role =>
  startRole("cache", ["--origin", c.at, ...args], { logLevel: c.logLevel });

/** Every process of the cluster: the origin, the caches, the clients. */
export const rolesOf = (c: Cluster): Role[] => [c.origin, ...c.caches, ...c.clients];

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
