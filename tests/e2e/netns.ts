/**
 * Hosts on one machine: one Linux network namespace per host, each with its
 * own address from 198.18.0.0/15 (the range reserved for network benchmarks)
 * on a veth pair into a bridge that lives in a namespace of its own, so
 * nothing touches the machine's own network and nothing leaves it. A host's
 * egress can be shaped per destination with `tc` HTB. Used by
 * `bench/hosts.ts` and `tests/e2e/hosts_test.ts`.
 *
 * Every name carries `fsh-<pid>-<random>-`, so two runs never collide, and a
 * namespace whose creating process is gone (a crashed run) is removed by the
 * next {@link createHosts}. Needs root and iproute2 (`ip`, `tc`); see
 * {@link hostsUnsupported}. Runs on Node and Bun (node:child_process).
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import process from "node:process";

/** The prefix of every namespace made here. */
export const NETNS_PREFIX = "fsh-";

/**
 * Bytes on the wire per byte of TCP payload at MTU 1500: a full frame is 1514
 * bytes (Ethernet 14, IPv4 20, TCP with timestamps 32) for 1448 of payload.
 * HTB meters frames, the pacer payload.
 */
export const WIRE_OVERHEAD = 1514 / 1448;

/** One host: a namespace and its address on the bridge. */
export interface Host {
  /** The namespace's name. */
  readonly ns: string;
  /** Its IPv4 address, e.g. "198.18.0.2". */
  readonly address: string;
}

/** A set of hosts on one bridge. */
export interface Hosts {
  readonly hosts: readonly Host[];
  /** The bridge's namespace. */
  readonly bridge: string;
  /**
   * Shapes what `from` sends to `to` at `bytesPerSecond` of frames on the
   * wire (an HTB class and a filter on `from`'s interface); other traffic
   * from `from` is not limited.
   */
  shape(from: Host, to: Host, bytesPerSecond: number): void;
  /** The command that runs `argv` inside `host` (`ip netns exec`, which execs it: same pid). */
  command(host: Host, argv: readonly string[]): string[];
  /** Kills every process left in the namespaces, then deletes them; safe to call twice. */
  teardown(): void;
}

function run(argv: string[], what: string): string {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: "utf8" });
  if (r.error || r.status !== 0) {
    const why = r.error?.message ?? (r.stderr.trim() || `exit ${r.status}`);
    throw new Error(`Cannot ${what}: ${argv.join(" ")}: ${why}`);
  }
  return r.stdout;
}

function tryRun(argv: string[]): boolean {
  const r = spawnSync(argv[0]!, argv.slice(1), { stdio: "ignore" });
  return !r.error && r.status === 0;
}

/** The names of every network namespace (`ip netns list`). */
export function namespaces(): string[] {
  const r = spawnSync("ip", ["netns", "list"], { encoding: "utf8" });
  if (r.error || r.status !== 0) return [];
  return r.stdout.split("\n").map((l) => l.split(" ")[0]!).filter((n) => n !== "");
}

/** The namespaces made here that still exist (for a check that nothing was left). */
export function ourNamespaces(): string[] {
  return namespaces().filter((n) => n.startsWith(NETNS_PREFIX));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: string }).code === "EPERM";
  }
}

/** Kills every process inside `ns` and deletes it (which removes its links and qdiscs). */
export function removeNamespace(ns: string): void {
  for (let round = 0; round < 50; round++) {
    const r = spawnSync("ip", ["netns", "pids", ns], { encoding: "utf8" });
    const pids = (r.stdout ?? "").split("\n").map(Number).filter((p) => p > 0);
    if (pids.length === 0) break;
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGKILL");
      } catch { /* gone already */ }
    }
    spawnSync("sleep", ["0.02"]);
  }
  tryRun(["ip", "netns", "del", ns]);
}

/**
 * Removes the namespaces of runs whose process is gone (a crash, a SIGKILL).
 *
 * @returns the names removed
 */
export function removeStale(): string[] {
  const stale = ourNamespaces().filter((n) => {
    const pid = Number(/^fsh-(\d+)-/.exec(n)?.[1]);
    return pid > 0 && pid !== process.pid && !alive(pid);
  });
  for (const n of stale) removeNamespace(n);
  return stale;
}

/**
 * Why hosts cannot be made here, or undefined when they can: not root, no
 * `ip` or `tc`, or namespaces refused (a container without the capability).
 *
 * @example
 * ```ts
 * const why = hostsUnsupported();
 * if (why) console.log(`skipped: ${why}`);
 * ```
 */
export function hostsUnsupported(): string | undefined {
  if (process.platform !== "linux") {
    return `needs Linux network namespaces (this is ${process.platform})`;
  }
  if (process.getuid?.() !== 0) return "needs root to create network namespaces";
  if (!tryRun(["ip", "-V"])) return "needs ip (iproute2) on PATH";
  if (!tryRun(["tc", "-V"])) return "needs tc (iproute2) on PATH";
  const probe = `${NETNS_PREFIX}${process.pid}-probe`;
  const ok = tryRun(["ip", "netns", "add", probe]);
  tryRun(["ip", "netns", "del", probe]);
  return ok ? undefined : "cannot create a network namespace here (ip netns add failed)";
}

/**
 * Makes `count` hosts, 198.18.0.1 … 198.18.0.count, on a bridge; removes
 * stale namespaces of crashed runs first. On a failure midway, what was made
 * is removed before the error is thrown.
 *
 * @throws {Error} naming the command that failed
 * @example
 * ```ts
 * const net = createHosts(3);
 * try {
 *   net.shape(net.hosts[0]!, net.hosts[1]!, 1_000_000);
 * } finally {
 *   net.teardown();
 * }
 * ```
 */
export function createHosts(count: number): Hosts {
  if (count < 1 || count > 250) throw new Error(`Cannot make ${count} hosts: expected 1 to 250`);
  removeStale();
  const tag = `${NETNS_PREFIX}${process.pid}-${Math.random().toString(16).slice(2, 8)}-`;
  const bridge = `${tag}br`;
  const made: string[] = [];
  const hosts: Host[] = [];
  const classes = new Map<string, number>();
  let down = false;
  const net: Hosts = {
    hosts,
    bridge,
    shape: (from, to, bytesPerSecond) => shapeLink(classes, from, to, bytesPerSecond),
    command: (host, argv) => ["ip", "netns", "exec", host.ns, ...argv],
    teardown() {
      if (down) return;
      down = true;
      for (const ns of [...made].reverse()) removeNamespace(ns);
    },
  };
  try {
    run(["ip", "netns", "add", bridge], "make the bridge's namespace");
    made.push(bridge);
    run(["ip", "-n", bridge, "link", "add", "br0", "type", "bridge"], "make the bridge");
    run(["ip", "-n", bridge, "link", "set", "br0", "up"], "start the bridge");
    for (let i = 0; i < count; i++) {
      const ns = `${tag}${i}`;
      run(["ip", "netns", "add", ns], "make a host");
      made.push(ns);
      hosts.push(linkHost(bridge, ns, i));
    }
  } catch (e) {
    net.teardown();
    throw e;
  }
  return net;
}

/**
 * Shapes what `from` sends `to` at `bytesPerSecond` (an HTB class per peer,
 * under a root qdisc made at the first; `classes`: each namespace's next class).
 */
function shapeLink(
  classes: Map<string, number>,
  from: Host,
  to: Host,
  bytesPerSecond: number,
): void {
  const dev = ["tc", "-n", from.ns];
  let next = classes.get(from.ns);
  if (next === undefined) {
    run(
      [...dev, "qdisc", "add", "dev", "eth0", "root", "handle", "1:", "htb", "default", "1"],
      "shape",
    );
    run(htbClass(dev, "1:1", "10gbit"), "shape");
    next = 10;
  }
  classes.set(from.ns, next + 1);
  const rate = `${Math.round(bytesPerSecond * 8)}bit`;
  run([...htbClass(dev, `1:${next}`, rate), "ceil", rate], "shape");
  run([
    ...dev,
    "filter",
    "add",
    "dev",
    "eth0",
    "parent",
    "1:",
    "protocol",
    "ip",
    "prio",
    "1",
    "u32",
    "match",
    "ip",
    "dst",
    `${to.address}/32`,
    "flowid",
    `1:${next}`,
  ], "shape");
}

/** Links namespace `ns` to the bridge as host `i` (198.18.0.(i+1)) and brings its links up. */
function linkHost(bridge: string, ns: string, i: number): Host {
  const address = `198.18.0.${i + 1}`;
  run([
    "ip",
    "-n",
    bridge,
    "link",
    "add",
    `p${i}`,
    "type",
    "veth",
    "peer",
    "name",
    "eth0",
    "netns",
    ns,
  ], "link a host");
  run(["ip", "-n", bridge, "link", "set", `p${i}`, "master", "br0", "up"], "link a host");
  run(["ip", "-n", ns, "addr", "add", `${address}/24`, "dev", "eth0"], "address a host");
  run(["ip", "-n", ns, "link", "set", "eth0", "up"], "start a host's link");
  run(["ip", "-n", ns, "link", "set", "lo", "up"], "start a host's loopback");
  return { ns, address };
}

/** `tc … class add` of an HTB class `classid` under the root qdisc of `eth0`, at `rate`. */
function htbClass(dev: readonly string[], classid: string, rate: string): string[] {
  return [
    ...dev,
    "class",
    "add",
    "dev",
    "eth0",
    "parent",
    "1:",
    "classid",
    classid,
    "htb",
    "rate",
    rate,
  ];
}
