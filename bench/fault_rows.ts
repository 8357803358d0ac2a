/**
 * The faults of bench/faults.ts, one row each: how its cluster is started,
 * and how the fault is injected — at a phase of the run the origin has
 * reported (its `phase`, `list` and `done` events) and pinned there, the way
 * the end-to-end tests do it (tests/e2e/phase_faults_test.ts, faults_test.ts,
 * reset_test.ts), never after a fixed delay or a number of files:
 *
 * - registering: client 3 is held back, so until its list is in the run
 *   cannot leave registering; the fault comes once the origin has the other
 *   three lists, then client 3 starts.
 * - warming: once the origin says `warming` (scale 4: a warm-up lasts about
 *   0.4 s), cache 1 is frozen (SIGSTOP, confirmed in /proc): it cannot
 *   confirm its warm-up, so the run stays warming until it is thawed.
 * - running: client 3 is frozen from the warm-up on, so it fetches nothing
 *   and the run cannot end; the fault comes once the origin says `running`.
 * - stopping: a client is killed once the origin has its `done`, the origin
 *   frozen meanwhile so the stop cannot come yet; a cache once the origin says
 *   `stopping` (it may be quicker to exit by itself: the row says how often
 *   the kill found it alive).
 * - origin started last: caches and clients first; the origin once each of
 *   them has logged that it was refused and retries.
 *
 * A frozen client 3 fetches nothing, so its demand may hold files in the
 * caches that the others' pushes wait for: the running pin is let go right
 * after the fault, never kept while the others are meant to finish.
 *
 * Runs on Node and Bun.
 *
 * @module
 */

import { connect } from "node:net";
import {
  type Cluster,
  type ClusterOptions,
  type Event,
  freeze,
  listOf,
  lostEvent,
  phaseIs,
  REQUESTS,
  type Role,
  startCache,
  startClient,
  summaryOf,
  thaw,
  until,
  within,
} from "../tests/e2e/roles.ts";

/** The phases the origin reports a loss in. */
export type Phase = "registering" | "warming" | "running" | "stopping";

/** What an injection did, for the run's checks once every process has ended. */
export interface Injected {
  /** Processes the fault ends on purpose: not survivors. */
  readonly victims: Role[];
  /** Processes started during the run (a restarted cache): survivors. */
  readonly extra?: Role[];
  /** Checks the fault's own outcome once every process has ended: what went wrong, if anything. */
  readonly check?: () => string | undefined;
  /** Counted per row and shown beside it, e.g. "killed while alive". */
  readonly note?: () => string | undefined;
}

/** A row of the fault table. */
export interface FaultRow {
  readonly name: string;
  /** The phase the origin must report each victim lost in; undefined: nothing may be lost. */
  readonly phase?: Phase;
  /** Cluster options besides policy and seed. */
  readonly cluster: ClusterOptions;
  /** Injects the fault into a started cluster. */
  inject(c: Cluster): Promise<Injected>;
}

/** Scale of the rows pinned while warming: the warm-up lasts 1.5 s / scale. */
const WARMING_SCALE = 4;
/** `--idle-ms` of the slow peer's cluster. */
export const SLOW_IDLE_MS = 3000;

const rejoined = (index: number) => (e: Event): boolean =>
  e.event === "cache-rejoined" && e.index === index;
const doneOf = (i: number) => (e: Event): boolean => e.event === "done" && e.client === i;

/** How each phase is pinned: the cluster it needs, and how to reach and leave it. */
const PINS = {
  registering: {
    cluster: { clients: [0, 1, 2] },
    async enter(c: Cluster) {
      for (const i of [0, 1, 2]) await c.origin.waitFor(listOf(i));
    },
    release: (c: Cluster) => Promise.resolve(void startClient(c, 3)),
  },
  warming: {
    cluster: { scale: WARMING_SCALE },
    async enter(c: Cluster) {
      await c.origin.waitFor(phaseIs("warming"));
      await freeze(c.caches[1]!);
      if (c.origin.events.some(phaseIs("running"))) {
        throw new Error("Cannot pin warming: the warm-up ended before cache 1 was frozen");
      }
    },
    release: (c: Cluster) => thaw(c.caches[1]!),
  },
  running: {
    cluster: {},
    async enter(c: Cluster) {
      await c.origin.waitFor(phaseIs("warming"));
      await freeze(c.clients[3]!);
      await c.origin.waitFor(phaseIs("running"));
    },
    release: (c: Cluster) => thaw(c.clients[3]!),
  },
} as const;
type Pinned = keyof typeof PINS;

/** Pins `phase`, runs `fault` in it, then lets the run go on. */
async function inPhase<T>(c: Cluster, phase: Pinned, fault: () => Promise<T>): Promise<T> {
  await PINS[phase].enter(c);
  try {
    return await fault();
  } finally {
    await PINS[phase].release(c);
  }
}

/** Cache `index` (or client) killed with SIGKILL, and the origin's word that it is lost. */
async function kill(c: Cluster, role: "cache" | "client", index: number): Promise<Role> {
  const victim = role === "cache" ? c.caches[index]! : c.clients[index]!;
  victim.proc.kill("SIGKILL");
  await c.origin.waitFor(lostEvent(role, index));
  return victim;
}

/** A restarted cache served clients and, its demand counted, ended holding nothing. */
const servedAgain = (again: Role) => (): string | undefined => {
  const back = summaryOf(again);
  if (!(back?.bytesToClients > 0)) return "the restarted cache served no client";
  if (back?.heldAtStop !== 0) return `the restarted cache ended holding ${back?.heldAtStop} files`;
};

const cacheRows = (["registering", "warming", "running"] as const).map((phase): FaultRow => ({
  name: `cache killed while ${phase}`,
  phase,
  cluster: PINS[phase].cluster,
  inject: async (c) => ({ victims: [await inPhase(c, phase, () => kill(c, "cache", 0))] }),
}));

const clientRows = (["registering", "warming", "running"] as const).map((phase): FaultRow => ({
  name: `client killed while ${phase}`,
  phase,
  cluster: PINS[phase].cluster,
  inject: async (c) => ({ victims: [await inPhase(c, phase, () => kill(c, "client", 1))] }),
}));

const restartRows = (["registering", "warming", "running"] as const).map((phase): FaultRow => ({
  name: `cache restarted while ${phase}`,
  phase,
  cluster: PINS[phase].cluster,
  async inject(c) {
    let again: Role | undefined;
    const victim = await inPhase(c, phase, async () => {
      const v = await kill(c, "cache", 0);
      again = startCache(c, ["--index", "0"]);
      await c.origin.waitFor(rejoined(0));
      return v;
    });
    return { victims: [victim], extra: [again!], check: servedAgain(again!) };
  },
}));

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

/** A proxy cut is checked: exactly one, a real RST. */
const oneRst = (c: Cluster): string | undefined =>
  c.proxy!.resets.length === 1 && c.proxy!.resets[0]!.rst
    ? undefined
    : `the proxy cut ${c.proxy!.resets.length} connections (rst: ${
      c.proxy!.resets.map((r) => r.rst).join(",")
    }), not one with a RST`;

/**
 * How a cache says its origin connection broke under a RST: "reset", or, when
 * the RST came while bytes were still unread (Linux then reads them and an
 * end of stream, no error), the stream ending inside a frame.
 */
const BROKEN = /reset|ended inside a frame/;

/** An origin→cache 0 connection cut mid-push once armed in `phase`: cache 0 fails. */
const pushReset = (phase: "warming" | "running"): FaultRow => ({
  name: `origin→cache reset mid-push while ${phase}`,
  phase,
  cluster: {
    ...PINS[phase].cluster,
    proxy: { between: "origin-cache", reset: { afterBytes: 0, midFile: true, armed: false } },
  },
  async inject(c) {
    await inPhase(c, phase, async () => {
      c.proxy!.arm();
      await within(c.proxy!.firstReset, 15_000, "the proxy's cut of a push to cache 0");
      await c.origin.waitFor(lostEvent("cache", 0));
    });
    const victim = c.caches[0]!;
    return {
      victims: [victim],
      check: () =>
        oneRst(c) ??
          (victim.proc.exitCode === 1 && BROKEN.test(summaryOf(victim)?.error ?? "")
            ? undefined
            : `cache 0 ended ${victim.proc.exitCode}, not 1 saying its origin connection broke: ${
              summaryOf(victim)?.error
            }`),
    };
  },
});

/** The rows, in table order. */
export const ROWS: readonly FaultRow[] = [
  ...cacheRows,
  {
    name: "cache killed once stopping",
    cluster: {},
    async inject(c) {
      await c.origin.waitFor(phaseIs("stopping"));
      const victim = c.caches[1]!;
      victim.proc.kill("SIGKILL"); // it may have exited by itself already
      return {
        victims: [victim],
        note: () => victim.proc.signalCode === "SIGKILL" ? "killed while alive" : undefined,
      };
    },
  },
  ...clientRows,
  {
    name: "client killed once done (stopping)",
    cluster: {},
    async inject(c) {
      // The origin has its `done`: it has every file and waits for the stop.
      // The origin is frozen at once, so no stop comes before the kill (client
      // 3 frozen instead could hold the others back: its demand pins files in
      // the caches that their pushes wait for).
      const first = await c.origin.waitFor((e) => e.event === "done");
      const victim = c.clients[first.client]!;
      await freeze(c.origin);
      try {
        victim.proc.kill("SIGKILL");
        await victim.exit;
      } finally {
        await thaw(c.origin);
      }
      return {
        victims: [victim],
        check: () => {
          const last = victim.events.findLast((e) => e.event === "progress");
          return victim.proc.signalCode !== "SIGKILL"
            ? `the done client ended ${victim.proc.exitCode} before it was killed`
            : last?.files !== REQUESTS
            ? `the killed client had ${last?.files} of ${REQUESTS} files`
            : undefined;
        },
      };
    },
  },
  ...restartRows,
  {
    name: "origin started last",
    cluster: {
      logLevel: "info",
      // Once every cache and client has been refused and said it retries.
      originWhen: (started) =>
        until(
          () => started.every((r) => r.stderr().includes("server not there yet; retrying")),
          "every cache and client retrying",
        ),
    },
    inject: () => Promise.resolve({ victims: [] }),
  },
  {
    name: "connection reset mid-file (cache→client)",
    cluster: {
      proxy: { between: "cache-client", reset: { afterBytes: 0, midFile: true, armed: false } },
    },
    async inject(c) {
      await inPhase(c, "running", async () => {
        c.proxy!.arm();
        await within(c.proxy!.firstReset, 15_000, "the proxy's cut of a cache→client file");
      });
      return {
        victims: [],
        check: () =>
          oneRst(c) ??
            (summaryOf(c.origin)?.cutLinks === 1
              ? undefined
              : `the origin counted ${summaryOf(c.origin)?.cutLinks} cut links, not 1`),
      };
    },
  },
  pushReset("warming"),
  pushReset("running"),
  {
    name: "garbage on every port (running)",
    cluster: {},
    async inject(c) {
      const closed = await inPhase(c, "running", async () => {
        const ports = [c.origin, ...c.caches].map((p) =>
          p.events.find((e) => e.event === "listening" || e.event === "registered")?.port as number
        );
        if (ports.some((p) => p === undefined)) return [false];
        return await Promise.all(ports.flatMap((p) => [garbage(p, GARBAGE), garbage(p, HUGE)]));
      });
      return {
        victims: [],
        check: () =>
          closed.every((x) => x) ? undefined : "a server left a bad connection open (10 s)",
      };
    },
  },
  {
    name: `slow peer (client frozen while running, \`--idle-ms ${SLOW_IDLE_MS}\`)`,
    phase: "running",
    cluster: { idleMs: SLOW_IDLE_MS },
    async inject(c) {
      // Frozen from the warm-up on, until the origin has dropped it at the idle
      // limit and the other clients are done: they must not wait on it.
      const slow = c.clients[1]!;
      await c.origin.waitFor(phaseIs("warming"));
      await freeze(slow);
      try {
        await c.origin.waitFor(lostEvent("client", 1), 20_000);
        await within(
          Promise.all([0, 2, 3].map((i) => c.origin.waitFor(doneOf(i), 60_000))),
          30_000,
          "the other clients done while client 1 is frozen",
        );
      } finally {
        await thaw(slow);
      }
      return {
        victims: [slow],
        check: () => {
          const s = summaryOf(slow);
          return slow.proc.exitCode !== 0 && /the idle limit is \d+ ms/.test(s?.error ?? "")
            ? undefined
            : `the slow client ended ${slow.proc.exitCode}, not saying it passed the idle limit: ${s?.error}`;
        },
      };
    },
  },
];
