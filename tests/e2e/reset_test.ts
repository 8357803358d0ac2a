// A connection reset in the middle of a file, with real processes: a client
// reaches cache 0 through a real TCP proxy (tests/e2e/tcp_proxy.ts), which
// cuts one cache→client connection with a RST halfway through a chunk of a
// file. The client must discard the partial file and fetch it, and the rest
// of that cache's files, again (from the origin); every byte is verified.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { packageRoot, roleCommand } from "../../roles/run.ts";
import { startProxy, type TcpProxy } from "./tcp_proxy.ts";

type Event = Record<string, any>;

interface Role {
  proc: ChildProcess;
  events: Event[];
  exit: Promise<number | null>;
  stderr: () => string;
  waitFor(match: (e: Event) => boolean, ms?: number): Promise<Event>;
}

const live = new Set<ChildProcess>();
after(() => {
  for (const p of live) p.kill("SIGKILL");
});

function start(role: "data" | "cache" | "client", args: string[]): Role {
  const [cmd, ...rest] = roleCommand(packageRoot(), "node", role);
  const proc = spawn(cmd!, [...rest, ...args, "--log-level", "warn"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  live.add(proc);
  const events: Event[] = [];
  const waiters: { match: (e: Event) => boolean; resolve: (e: Event) => void }[] = [];
  let buf = "";
  let err = "";
  proc.stdout!.setEncoding("utf8");
  proc.stdout!.on("data", (d: string) => {
    buf += d;
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      try {
        const e = JSON.parse(line) as Event;
        events.push(e);
        for (const w of [...waiters]) {
          if (w.match(e)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(e);
          }
        }
      } catch { /* not an event */ }
    }
  });
  proc.stderr!.setEncoding("utf8");
  proc.stderr!.on("data", (d: string) => (err += d));
  const exit = new Promise<number | null>((resolve) =>
    proc.on("exit", (code) => (live.delete(proc), resolve(code)))
  );
  return {
    proc,
    events,
    exit,
    stderr: () => err,
    waitFor(match, ms = 30_000) {
      const seen = events.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching event within ${ms} ms`)), ms);
        waiters.push({ match, resolve: (e) => (clearTimeout(timer), resolve(e)) });
      });
    },
  };
}

/** A loopback port free a moment ago (for a cache that must listen where the proxy points). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Settles with `p`, or rejects after `ms`. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

const summary = (r: Role) => r.events.find((e) => e.event === "summary")!;
const REQUESTS = 50;

interface Cluster {
  origin: Role;
  caches: Role[];
  clients: Role[];
  proxy: TcpProxy;
}

/**
 * An origin, 2 caches and 4 clients, each its own process, on a small
 * scenario at scale 20, with a proxy that cuts one connection mid-file:
 * `"cache-client"` puts it between the clients and cache 0 (cache 0
 * advertises the proxy's port), `"origin-cache"` between cache 0 and the origin.
 */
async function cluster(
  where: "cache-client" | "origin-cache",
  policy: string,
  afterBytes: number,
  { capacityKiB = 3000, seed = 6, armed = true } = {},
): Promise<Cluster> {
  const origin = start("data", [
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
    "20",
    "--listen",
    "127.0.0.1:0",
  ]);
  const { port } = await origin.waitFor((e) => e.event === "listening");
  const at = `127.0.0.1:${port}`;
  let cache0: string[];
  let proxy: TcpProxy;
  if (where === "cache-client") {
    // Cache 0 listens on a known port; clients are given the proxy's.
    const cachePort = await freePort();
    proxy = await startProxy({
      target: { host: "127.0.0.1", port: cachePort },
      reset: { afterBytes, midFile: true, armed },
    });
    cache0 = [
      "--origin",
      at,
      "--listen",
      `127.0.0.1:${cachePort}`,
      "--advertise",
      `127.0.0.1:${proxy.port}`,
    ];
  } else {
    proxy = await startProxy({
      target: { host: "127.0.0.1", port },
      reset: { afterBytes, midFile: true, armed },
    });
    cache0 = ["--origin", `127.0.0.1:${proxy.port}`];
  }
  const caches = [
    start("cache", [...cache0, "--index", "0"]),
    start("cache", ["--origin", at, "--index", "1"]),
  ];
  const clients = [0, 1, 2, 3].map((i) => start("client", ["--origin", at, "--index", String(i)]));
  return { origin, caches, clients, proxy };
}

/** Every process's summary and stderr, for assertion messages. */
const story = (c: Cluster) =>
  [c.origin, ...c.caches, ...c.clients].map((r) => `${JSON.stringify(summary(r))}\n${r.stderr()}`)
    .join("\n");

/** Kills whatever is left of a cluster (after a failed assertion) and closes its proxy. */
async function teardown(c: Cluster): Promise<void> {
  for (const r of [c.origin, ...c.caches, ...c.clients]) {
    if (r.proc.exitCode === null && r.proc.signalCode === null) r.proc.kill("SIGKILL");
  }
  await c.proxy.close();
}

describe("connection reset mid-file", () => {
  for (const policy of ["foresight", "seed"]) {
    it(
      `a cache→client connection reset mid-file: the partial file is discarded and fetched again (${policy})`,
      async () => {
        // About 1.5 files' worth (a file here averages 200 KiB) into a connection, mid-file.
        const c = await cluster("cache-client", policy, 300_000);
        const { origin, caches, clients, proxy } = c;
        try {
          const cut = await within(proxy.firstReset, 25_000, "the proxy's reset");
          assert.equal(cut.rst, true, "a real RST was sent");
          assert.ok(cut.toClientBytes >= 300_000);

          const all = [origin, ...caches, ...clients];
          const codes = await within(Promise.all(all.map((r) => r.exit)), 20_000, "every exit");
          assert.deepEqual(codes, [0, 0, 0, 0, 0, 0, 0], story(c));

          assert.equal(proxy.connections(), 4, "each client reached cache 0 through the proxy");
          assert.equal(proxy.resets.length, 1);
          const bytes = proxy.bytes();
          assert.ok(bytes.toServer > 0 && bytes.toClient > cut.toClientBytes, "the others went on");
          for (const cl of clients) {
            const s = summary(cl);
            assert.equal(s.ok, true);
            assert.equal(s.verified, REQUESTS, "every file verified");
            assert.equal(s.corrupt, 0);
          }
          // The client whose connection was cut: it lost cache 0, discarded the
          // partial file (at least one whole chunk of it had arrived) and
          // fetched it and the rest of that cache's files from the origin.
          const hit = clients.filter((cl) => summary(cl).lostSources > 0);
          assert.equal(hit.length, 1, story(c));
          const s = summary(hit[0]!);
          assert.equal(s.lostSources, 1);
          assert.ok(s.discardedBytes >= 65_536, `discarded ${s.discardedBytes} bytes`);
          for (const cl of clients) {
            if (cl !== hit[0]) assert.equal(summary(cl).discardedBytes, 0);
          }
          const o = summary(origin);
          assert.equal(o.ok, true);
          assert.equal(o.lostCaches, 0, "the cache itself is alive");
          assert.equal(o.cutLinks, 1, "the client told the origin it lost the cache");
          for (const k of caches) {
            assert.equal(
              summary(k).heldAtStop,
              0,
              `the cache forgoes what it owed the cut client\n${story(c)}`,
            );
          }
          assert.ok(
            o.servedForLostCaches >= 1,
            "the origin served the cut file (and the rest of that cache's share) directly",
          );
        } finally {
          await teardown(c);
        }
      },
    );
  }

  it("an origin→cache connection reset mid-push: the cache fails, clients fall back to the origin", async () => {
    // Cut mid-run (a cut during the warm-up fails the whole run, by design):
    // armed once the clients are under way, the proxy cuts the next push mid-file.
    const c = await cluster("origin-cache", "foresight", 0, { armed: false });
    const { origin, caches, clients, proxy } = c;
    try {
      await clients[0]!.waitFor((e) => e.event === "progress" && e.files >= 10);
      proxy.arm();
      const cut = await within(proxy.firstReset, 25_000, "the proxy's reset");
      assert.equal(cut.rst, true);
      const codes = await within(
        Promise.all([origin, ...clients, caches[1]!].map((r) => r.exit)),
        20_000,
        "every exit",
      );
      assert.deepEqual(codes, [0, 0, 0, 0, 0, 0], story(c));
      // The cache cannot go on without its origin: it fails, saying why.
      assert.equal(await caches[0]!.exit, 1, story(c));
      assert.match(summary(caches[0]!).error, /reset/);
      for (const cl of clients) {
        assert.equal(summary(cl).verified, REQUESTS);
        assert.equal(summary(cl).corrupt, 0);
      }
      assert.ok(clients.some((cl) => summary(cl).lostSources === 1), "clients lost cache 0");
      assert.equal(summary(origin).lostCaches, 1);
    } finally {
      await teardown(c);
    }
  });

  it("a reset client connection leaves nothing pinned in the cache", async () => {
    // An early cut under a tight capacity: had cache 0 kept what it still owed
    // the cut client, that would fill most of its 1000 KiB and the others
    // would wait for pushes that cannot come (this deadlocked every time).
    const c = await cluster("cache-client", "foresight", 1, { capacityKiB: 1000, seed: 1 });
    const { origin, caches, clients, proxy } = c;
    try {
      await within(proxy.firstReset, 25_000, "the proxy's reset");
      const all = [origin, ...caches, ...clients];
      const codes = await within(Promise.all(all.map((r) => r.exit)), 10_000, "every exit");
      assert.deepEqual(codes, [0, 0, 0, 0, 0, 0, 0], story(c));
      for (const cl of clients) assert.equal(summary(cl).verified, REQUESTS);
      assert.equal(summary(caches[0]!).heldAtStop, 0, "nothing owed to the cut client is left");
    } finally {
      await teardown(c);
    }
  });
});
