/**
 * Faults, repeated: every role a real process; in each run one fault is
 * injected mid-run, and the table says what the survivors made of it: files
 * lost (files a surviving client did not get: it ended without them, or the
 * run hung and was killed after 45 s) and files corrupt (a byte that failed
 * verification).
 *
 * | fault | how |
 * | --- | --- |
 * | cache killed | SIGKILL to cache 0 once client 0 has 5 files |
 * | cache restarted | at scale 2 (a run lasts about 6 s, so the new cache has most of it left): SIGKILL to cache 0 once client 0 has 8 files; once the origin reports it lost (`cache-lost`), a new `cache --index 0` takes its place (`cache-rejoined`) |
 * | client killed | SIGKILL to client 1 once it has 5 files (it is the victim, not a survivor) |
 * | origin started last | caches and clients first, the origin 1 s later on the same port |
 * | connection reset mid-file | clients reach cache 0 through a real TCP proxy (tests/e2e/tcp_proxy.ts), which cuts one cache→client connection with a RST in the middle of a file |
 * | garbage on every port | once client 0 has 5 files, 4 KiB of garbage and a header announcing a 4 GiB body to the origin's and each cache's port; each such connection must be closed by the server |
 * | slow peer (stopped client) | every role with `--idle-ms 3000`; SIGSTOP to client 1 once it has 5 files: it reads (and asks) nothing until the other clients have every file, or for 12 s (longer than the 10 s a write may wait for a reader and than the 3 s idle limit), then SIGCONT. Its kernel still acknowledges, so only the idle limit tells: the origin and the caches drop it once it has been silent that long (the victim, not a survivor: then it must end with an error saying so, and the origin count it lost; resumed before that, it must complete) |
 *
 * For the slow peer, the outcome also says in how many runs the other
 * clients could not finish while it was stopped (they waited on it): shown,
 * not counted as a failure (no file is lost either way).
 *
 *   npm run build && npx bun bench/faults.ts [--runs 5] [--only "garbage on every port"]
 *
 * Exits 1 on any loss or corruption, or a survivor that did not exit 0, or a
 * fault whose own check failed (a bad connection left open by a server, a
 * cut that was not a RST on exactly one connection, a restarted cache that
 * did not rejoin, served no client or ended holding files).
 *
 * @module
 */

import process from "node:process";
import { parseArgs } from "node:util";
import { connect } from "node:net";
import {
  type ClusterOptions,
  type Event,
  hasFiles,
  REQUESTS,
  type Role,
  startCache,
  startCluster,
  summaryOf,
  teardown,
} from "../tests/e2e/roles.ts";

const FAULTS = [
  "cache killed",
  "cache restarted",
  "client killed",
  "origin started last",
  "connection reset mid-file",
  "garbage on every port",
  "slow peer (stopped client)",
] as const;
type Fault = typeof FAULTS[number];

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    runs: { type: "string", default: "5" },
    only: { type: "string", multiple: true },
  },
});
const runs = Number(values.runs);
const only = values.only as string[] | undefined;
for (const f of only ?? []) {
  if (!(FAULTS as readonly string[]).includes(f)) {
    console.error(`unknown fault "${f}"; one of: ${FAULTS.join(", ")}`);
    process.exit(2);
  }
}
/** `--idle-ms` of the slow peer's cluster: well under the 12 s it is stopped. */
const SLOW_IDLE_MS = 3000;
/** A run still going after this long is killed (its clients' missing files count as lost). */
const RUN_TIMEOUT_MS = 45_000;

/** True once `r` has printed an event that `match` accepts; false after `ms` or at its end. */
const reached = (r: Role, match: (e: Event) => boolean, ms = 30_000): Promise<boolean> =>
  r.waitFor(match, ms).then(() => true, () => false);

/** Sends `bytes` to a port; true once the server has closed the connection (within 10 s). */
function garbage(port: number, bytes: Uint8Array): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host: "127.0.0.1", port }, () => sock.write(bytes));
    const timer = setTimeout(() => (sock.destroy(), resolve(false)), 10_000);
    const closed = () => (clearTimeout(timer), resolve(true));
    sock.on("data", () => {});
    sock.on("error", closed);
    sock.on("close", closed);
  });
}
const GARBAGE = new Uint8Array(4096).map((_, i) => (i * 97 + 13) & 0xff);
/** A hello header announcing a 4 GiB body. */
const HUGE = new Uint8Array([0x01, 0xff, 0xff, 0xff, 0xff, 1, 2, 3]);

interface Outcome {
  lost: number;
  corrupt: number;
  survivorsOk: boolean;
  /** The fault's own check (see the module doc); true when it has none. */
  checkOk: boolean;
  /** Slow peer: the other clients could not finish while it was stopped. */
  heldUp: boolean;
}

async function once(fault: Fault, policy: string, seed: number): Promise<Outcome> {
  const options: ClusterOptions = { policy, seed, logLevel: "error" };
  const c = await startCluster(
    fault === "origin started last"
      ? { ...options, originLateMs: 1000 }
      : fault === "cache restarted"
      ? { ...options, scale: 2 }
      : fault === "slow peer (stopped client)"
      ? { ...options, idleMs: SLOW_IDLE_MS }
      : fault === "connection reset mid-file"
      ? {
        ...options,
        proxy: { between: "cache-client", reset: { afterBytes: 300_000, midFile: true } },
      }
      : options,
  );
  const { origin, caches, clients, proxy } = c;
  let victim: Role | undefined;
  /** A cache started during the run (cache restarted). */
  let again: Role | undefined;
  let checkOk = true;
  let heldUp = false;
  switch (fault) {
    case "origin started last":
      // startCluster started the origin 1 s after the others.
      break;
    case "cache killed":
    case "client killed":
      victim = fault === "cache killed" ? caches[0]! : clients[1]!;
      await reached(clients[fault === "cache killed" ? 0 : 1]!, hasFiles(5));
      victim.proc.kill("SIGKILL");
      break;
    case "cache restarted":
      victim = caches[0]!;
      await reached(clients[0]!, hasFiles(8));
      victim.proc.kill("SIGKILL");
      if (await reached(origin, (e) => e.event === "cache-lost")) {
        again = startCache(c, ["--index", "0"]);
        checkOk = await reached(origin, (e) => e.event === "cache-rejoined");
      } else {
        checkOk = false;
      }
      break;
    case "connection reset mid-file":
      // Every process is a survivor; the cut client must still get every file.
      break;
    case "garbage on every port": {
      await reached(clients[0]!, hasFiles(5));
      const ports = [origin, ...caches].map((p) =>
        p.events.find((e) => e.event === "listening" || e.event === "registered")?.port as number
      );
      const closed = await Promise.all(
        ports.flatMap((p) => [garbage(p, GARBAGE), garbage(p, HUGE)]),
      );
      checkOk = ports.every((p) => p !== undefined) && closed.every((c) => c);
      break;
    }
    case "slow peer (stopped client)": {
      const slow = clients[1]!;
      victim = slow;
      await reached(slow, hasFiles(5));
      slow.proc.kill("SIGSTOP");
      // Do the others get every file meanwhile, or do they wait on it?
      const others = clients.filter((c) => c !== slow);
      const finished = await Promise.all(others.map((c) => reached(c, hasFiles(REQUESTS), 12_000)));
      slow.proc.kill("SIGCONT");
      heldUp = !finished.every((f) => f);
      break;
    }
  }
  const all = [origin, ...caches, ...(again ? [again] : []), ...clients];
  const timer = setTimeout(() => all.forEach((p) => p.proc.kill("SIGKILL")), RUN_TIMEOUT_MS);
  const codes = await Promise.all(all.map((p) => p.exit));
  clearTimeout(timer);
  if (proxy) {
    // The cut happened, on one connection, as a real RST.
    checkOk = proxy.resets.length === 1 && proxy.resets[0]!.rst;
  }
  await teardown(c, again ? [again] : []);
  if (fault === "slow peer (stopped client)") {
    // Dropped at the idle limit (counted lost by the origin, and told so on
    // resuming), or resumed in time (the others did not wait) and complete.
    const slow = summaryOf(victim!);
    checkOk = summaryOf(origin)?.lostClients === 1
      ? slow?.ok === false && /the idle limit is \d+ ms/.test(slow?.error ?? "")
      : slow?.ok === true && slow?.verified === REQUESTS;
  }
  if (again) {
    // The new cache served clients, and (foresight and seed count demand) ended holding nothing.
    const back = summaryOf(again);
    checkOk &&= back?.bytesToClients > 0 && back?.heldAtStop === 0;
  }
  let lost = 0;
  let corrupt = 0;
  let survivorsOk = true;
  all.forEach((p, i) => {
    if (p === victim) return;
    if (codes[i] !== 0) survivorsOk = false;
    if (p.role !== "client") return;
    const s = summaryOf(p);
    // A client killed at the run's timeout prints no summary: what it had by
    // its last progress report counts as received.
    const had = s?.verified ?? p.events.findLast((e) => e.event === "progress")?.files ?? 0;
    lost += REQUESTS - had;
    corrupt += s?.corrupt ?? 0;
  });
  return { lost, corrupt, survivorsOk, checkOk, heldUp };
}

const W = Math.max(...FAULTS.map((f) => f.length));
console.log(
  `${"fault".padEnd(W)}  policy     runs  files lost  files corrupt  outcome`,
);
let bad = false;
for (const fault of FAULTS) {
  if (only && !only.includes(fault)) continue;
  for (const policy of ["foresight", "seed"]) {
    let lost = 0, corrupt = 0, ok = 0, heldUp = 0;
    for (let r = 0; r < runs; r++) {
      const x = await once(fault, policy, r + 1);
      lost += x.lost;
      corrupt += x.corrupt;
      if (x.heldUp) heldUp++;
      if (x.survivorsOk && x.checkOk && x.lost === 0 && x.corrupt === 0) ok++;
    }
    if (ok < runs) bad = true;
    console.log(
      `${fault.padEnd(W)}  ${policy.padEnd(9)}  ${String(runs).padStart(4)}  ${
        String(lost).padStart(10)
      }  ${String(corrupt).padStart(13)}  ${ok === runs ? "all completed" : `${runs - ok} failed`}${
        fault === "slow peer (stopped client)"
          ? `; others waited on it in ${heldUp} of ${runs}`
          : ""
      }`,
    );
  }
}
process.exit(bad ? 1 : 0);
