/**
 * A run across hosts: the origin, each cache and each client a Node process
 * in a network namespace of its own ({@link createHosts}), started with the
 * role's own command (`--listen`, `--origin`, `--advertise` on the hosts'
 * addresses). Links are shaped by the roles' pacers, or with `--shaping none`
 * by the kernel: an HTB class per peer on each sender's egress at the link's
 * rate × scale × {@link WIRE_OVERHEAD}. Used by `bench/hosts.ts` and
 * `tests/e2e/hosts_test.ts`.
 *
 * Host 0 is the origin (198.18.0.1), hosts 1 … K the caches, then the clients.
 *
 * @module
 */

import type { Scenario } from "../../core/run/scenario.ts";
import { wireRate } from "../../core/run/scenario.ts";
import { scenarioArgs } from "../../roles/role_args.ts";
import { packageRoot, roleCommand } from "../../roles/run.ts";
import { ROLE_COMMAND } from "../../roles/role_command.ts";
import { type Event, type Role, type RoleName, startProcess, summaryOf } from "./roles.ts";
import { type Hosts, WIRE_OVERHEAD } from "./netns.ts";

/** Who shapes the links: the roles' pacers or the kernel (`tc` HTB, roles with `--shaping none`). */
export type HostShaping = "pacer" | "kernel";

/** Options of {@link runOnHosts}. */
export interface HostsRunOptions {
  readonly shaping: HostShaping;
  /** `--clock-offset-ms` by role: the origin's, each cache's, each client's (default 0). */
  readonly clockOffsets?: {
    readonly origin?: number;
    readonly caches?: readonly number[];
    readonly clients?: readonly number[];
  };
  /** Give up (and kill every role) after this many ms (default 120 000). */
  readonly timeoutMs?: number;
  /** `--log-level` of every role (default "warn"). */
  readonly logLevel?: string;
  /** Called with each role process's pid as it starts (to check afterwards that none is left). */
  readonly onStart?: (pid: number) => void;
}

/** One role of a run across hosts. */
export interface RoleRun {
  readonly role: RoleName;
  readonly index: number;
  /** Its exit code; null when a signal ended it. */
  readonly exit: number | null;
  readonly summary?: Event;
  /** Its command inside its host, relative to the package root: `node dist/cache.js --origin …`. */
  readonly command: string;
}

/** What a run across hosts ended with. */
export interface HostsRun {
  /** Every role exited 0 and every client verified all its files. */
  readonly ok: boolean;
  /** The makespan: the last client's `finishSimSeconds`. */
  readonly simSeconds: number;
  /** Wall seconds from the first process started to the last exited. */
  readonly wallSeconds: number;
  /** Every role with its exit code, its summary and the command it was started with. */
  readonly roles: readonly RoleRun[];
  /** Every summary and stderr, for a failure message. */
  story(): string;
}

/** The number of hosts a scenario needs: one per origin, cache and client. */
export const hostsFor = (s: Scenario): number => 1 + s.caches + s.clients;

const ORIGIN_PORT = 9000;
const CACHE_PORT = 9100;

/** Shapes every link of the scenario in the kernel: origin→cache, origin→client, cache→client. */
export function shapeLinks(net: Hosts, s: Scenario): void {
  const [origin, ...rest] = net.hosts;
  const caches = rest.slice(0, s.caches);
  const clients = rest.slice(s.caches, s.caches + s.clients);
  const rate = (kib: number) => wireRate(kib, s.scale) * WIRE_OVERHEAD;
  for (const c of caches) net.shape(origin!, c, rate(s.rateOriginCache));
  for (const c of clients) {
    net.shape(origin!, c, rate(s.rateOriginClient));
    for (const k of caches) net.shape(k, c, rate(s.rateCacheClient));
  }
}

/** One role to start: on which host, with which arguments. */
interface Launch {
  role: RoleName;
  index: number;
  host: number;
  args: string[];
}

/** Every role of `s` on `net`, the origin first, each on its own host. */
function launches(net: Hosts, s: Scenario, options: HostsRunOptions): Launch[] {
  const shaping = options.shaping === "kernel" ? ["--shaping", "none"] : [];
  // "=": a negative value would read as a flag.
  const offset = (ms: number | undefined) => [`--clock-offset-ms=${ms ?? 0}`];
  const off = options.clockOffsets ?? {};
  const origin = `${net.hosts[0]!.address}:${ORIGIN_PORT}`;
  const all: Launch[] = [{
    role: "origin",
    index: 0,
    host: 0,
    args: [...scenarioArgs(s), "--listen", origin, ...shaping, ...offset(off.origin)],
  }];
  for (let i = 0; i < s.caches; i++) {
    const at = `${net.hosts[1 + i]!.address}:${CACHE_PORT}`;
    all.push({
      role: "cache",
      index: i,
      host: 1 + i,
      args: [
        ...["--origin", origin, "--listen", at, "--advertise", at, "--index", String(i)],
        ...shaping,
        ...offset(off.caches?.[i]),
      ],
    });
  }
  for (let j = 0; j < s.clients; j++) {
    all.push({
      role: "client",
      index: j,
      host: 1 + s.caches + j,
      args: ["--origin", origin, "--index", String(j), ...offset(off.clients?.[j])],
    });
  }
  return all;
}

/** A started role, and the command it stands for. */
interface Started {
  role: RoleName;
  index: number;
  r: Role;
  command: string;
}

/** What the roles ended with: ok when every role exited 0, ok, and every client verified all. */
async function ended(s: Scenario, started: Started[], t0: number): Promise<HostsRun> {
  const exits = await Promise.all(started.map(({ r }) => r.exit));
  const roles = started.map(({ role, index, r, command }, i) => ({
    role,
    index,
    exit: exits[i]!,
    summary: summaryOf(r),
    command,
  }));
  const clients = roles.filter((r) => r.role === "client");
  const ok = roles.every((r) => r.exit === 0 && r.summary?.ok === true) &&
    clients.every((c) => c.summary?.verified === s.requests && c.summary?.corrupt === 0);
  return {
    ok,
    simSeconds: Math.max(...clients.map((c) => Number(c.summary?.finishSimSeconds ?? NaN))),
    wallSeconds: (performance.now() - t0) / 1000,
    roles,
    story: () =>
      started.map(({ role, index, r }) =>
        `${role} ${index}: ${JSON.stringify(summaryOf(r))}\n${r.stderr()}`
      ).join("\n"),
  };
}

/**
 * Runs `scenario` on `net` (which needs {@link hostsFor} hosts) until every
 * role has exited, or the timeout kills them.
 *
 * @example
 * ```ts
 * const net = createHosts(hostsFor(scenario));
 * try {
 *   const run = await runOnHosts(net, scenario, { shaping: "kernel" });
 * } finally {
 *   net.teardown();
 * }
 * ```
 */
export async function runOnHosts(
  net: Hosts,
  s: Scenario,
  options: HostsRunOptions,
): Promise<HostsRun> {
  if (net.hosts.length < hostsFor(s)) {
    throw new Error(`Cannot run on ${net.hosts.length} hosts: the scenario needs ${hostsFor(s)}`);
  }
  if (options.shaping === "kernel") shapeLinks(net, s);
  const node = roleCommand(packageRoot(), "node", "origin")[0]!;
  const common = ["--log-level", options.logLevel ?? "warn", "--stats-ms", "0"];
  const t0 = performance.now();
  const started: Started[] = [];
  const start = ({ role, index, host, args }: Launch) => {
    const script = roleCommand(packageRoot(), "node", role).slice(1);
    const argv = net.command(net.hosts[host]!, [node, ...script, ...args, ...common]);
    const r = startProcess(role, argv);
    const command = ["node", `dist/${ROLE_COMMAND[role]}.js`, ...args].join(" ");
    started.push({ role, index, r, command });
    options.onStart?.(r.proc.pid!);
    // A role that fails leaves the others waiting for it: end the run.
    void r.exit.then((code) => {
      if (code !== 0) { for (const o of started) o.r.proc.kill("SIGKILL"); }
    });
    return r;
  };
  const timer = setTimeout(() => {
    for (const { r } of started) r.proc.kill("SIGKILL");
  }, options.timeoutMs ?? 120_000);
  try {
    const [origin, ...others] = launches(net, s, options);
    await start(origin!).waitFor((e) => e.event === "listening", 30_000);
    for (const l of others) start(l);
    return await ended(s, started, t0);
  } finally {
    clearTimeout(timer);
    for (const { r } of started) {
      if (r.proc.exitCode === null && r.proc.signalCode === null) r.proc.kill("SIGKILL");
    }
  }
}
