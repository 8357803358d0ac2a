// Faults with real processes: a role killed or started late mid-run.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { packageRoot, roleCommand } from "../../roles/run.ts";

type Event = Record<string, any>;

interface Role {
  proc: ChildProcess;
  events: Event[];
  exit: Promise<number | null>;
  stderr: () => string;
  /** Resolves with the first event that `match` accepts. */
  waitFor(match: (e: Event) => boolean, ms?: number): Promise<Event>;
}

function start(role: "data" | "cache" | "client", args: string[]): Role {
  const [cmd, ...rest] = roleCommand(packageRoot(), "node", role);
  const proc = spawn(cmd!, [...rest, ...args, "--log-level", "warn"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
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
  const exit = new Promise<number | null>((resolve) => proc.on("exit", (code) => resolve(code)));
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

const summary = (r: Role) => r.events.find((e) => e.event === "summary")!;
const scenario = ["--files", "400", "--requests", "50", "--capacity-kib", "3000", "--seed", "6"];

/** An origin, 2 caches and 4 clients, each its own process, on the small scenario (scale 20 by default). */
async function cluster(
  policy: string,
  scale = 20,
): Promise<{ origin: Role; caches: Role[]; clients: Role[] }> {
  const origin = start("data", [
    ...scenario,
    "--policy",
    policy,
    "--scale",
    String(scale),
    "--listen",
    "127.0.0.1:0",
  ]);
  const { port } = await origin.waitFor((e) => e.event === "listening");
  const at = `127.0.0.1:${port}`;
  const caches = [0, 1].map((i) => start("cache", ["--origin", at, "--index", String(i)]));
  const clients = [0, 1, 2, 3].map((i) => start("client", ["--origin", at, "--index", String(i)]));
  return { origin, caches, clients };
}

describe("faults", () => {
  for (const policy of ["foresight", "seed"]) {
    it(`a cache killed mid-run: clients fall back to the origin and every file is verified (${policy})`, async () => {
      const { origin, caches, clients } = await cluster(policy);
      // Kill cache 0 once the clients are well under way.
      await clients[0]!.waitFor((e) => e.event === "progress" && e.files >= 10);
      caches[0]!.proc.kill("SIGKILL");
      const codes = await Promise.all(clients.map((c) => c.exit));
      assert.deepEqual(codes, [0, 0, 0, 0], clients.map((c) => c.stderr()).join("\n"));
      for (const c of clients) {
        const s = summary(c);
        assert.equal(s.ok, true);
        assert.equal(s.verified, 50);
        assert.equal(s.corrupt, 0);
      }
      assert.ok(
        clients.some((c) => summary(c).lostSources === 1),
        "some client noticed the lost cache",
      );
      assert.equal(await origin.exit, 0, origin.stderr());
      assert.equal(summary(origin).lostCaches, 1);
      assert.equal(await caches[1]!.exit, 0, caches[1]!.stderr());
      assert.equal(await caches[0]!.exit, null, "killed by a signal");
    });
  }

  for (const policy of ["foresight", "seed", "lru"]) {
    it(`a cache restarted mid-run takes its place back and serves again (${policy})`, async () => {
      // Slow enough (about 6 s) that the restarted cache has most of the run left.
      const { origin, caches, clients } = await cluster(policy, 2);
      await clients[0]!.waitFor((e) => e.event === "progress" && e.files >= 8);
      caches[0]!.proc.kill("SIGKILL");
      await origin.waitFor((e) => e.event === "cache-lost");
      const at = `127.0.0.1:${(await origin.waitFor((e) => e.event === "listening")).port}`;
      const again = start("cache", ["--origin", at, "--index", "0"]);
      await origin.waitFor((e) => e.event === "cache-rejoined");
      const codes = await Promise.all(clients.map((c) => c.exit));
      assert.deepEqual(codes, [0, 0, 0, 0], clients.map((c) => c.stderr()).join("\n"));
      for (const c of clients) {
        assert.equal(summary(c).verified, 50);
        assert.equal(summary(c).corrupt, 0);
      }
      assert.equal(await origin.exit, 0, origin.stderr());
      assert.equal(summary(origin).lostCaches, 1);
      assert.equal(summary(origin).rejoinedCaches, 1);
      assert.equal(await again.exit, 0, again.stderr());
      const back = summary(again);
      assert.equal(back.index, 0);
      // (A pull-through cache counts a request it fetched for as a miss: bytes, not hits.)
      assert.ok(back.bytesToClients > 0, "the restarted cache served clients again");
      assert.ok(clients.some((c) => summary(c).regainedSources === 1), "clients went back to it");
      assert.equal(await caches[1]!.exit, 0, caches[1]!.stderr());
      if (policy !== "lru") {
        // Pull-through caches keep what they hold; demand-counted ones end empty.
        assert.equal(back.heldAtStop, 0, "every push carried exactly the requests it got");
        assert.equal(summary(caches[1]!).heldAtStop, 0);
      }
    });
  }

  for (const policy of ["foresight", "seed"]) {
    it(`a client killed mid-run: its demand is released and the others finish (${policy})`, async () => {
      const { origin, caches, clients } = await cluster(policy);
      await clients[1]!.waitFor((e) => e.event === "progress" && e.files >= 5);
      clients[1]!.proc.kill("SIGKILL");
      const others = [clients[0]!, clients[2]!, clients[3]!];
      assert.deepEqual(await Promise.all(others.map((c) => c.exit)), [0, 0, 0]);
      for (const c of others) assert.equal(summary(c).verified, 50);
      assert.equal(await origin.exit, 0, origin.stderr());
      assert.equal(summary(origin).lostClients, 1);
      assert.ok(summary(origin).ledger.cancelled > 0, "the lost client's requests were withdrawn");
      for (const c of caches) {
        assert.equal(await c.exit, 0, `${summary(c)?.error}\n${c.stderr()}`);
        assert.equal(summary(c).heldAtStop, 0, "nothing owed to the lost client is left behind");
      }
    });
  }

  it("the origin started last: caches and clients retry until it is there", async () => {
    // Find a free port by letting an origin pick one, then stopping it.
    const probe = start("data", [...scenario, "--listen", "127.0.0.1:0"]);
    const { port } = await probe.waitFor((e) => e.event === "listening");
    probe.proc.kill("SIGKILL");
    await probe.exit;
    const at = `127.0.0.1:${port}`;
    const caches = [0, 1].map((i) => start("cache", ["--origin", at, "--index", String(i)]));
    const clients = [0, 1, 2, 3].map((i) =>
      start("client", ["--origin", at, "--index", String(i)])
    );
    await new Promise((r) => setTimeout(r, 1500));
    const origin = start("data", [...scenario, "--scale", "50", "--listen", at]);
    const codes = await Promise.all([origin, ...caches, ...clients].map((r) => r.exit));
    assert.deepEqual(codes, [0, 0, 0, 0, 0, 0, 0]);
    for (const c of clients) assert.equal(summary(c).verified, 50);
  });

  it("no origin at all: a client gives up at its deadline with a clear message", async () => {
    const probe = start("data", [...scenario, "--listen", "127.0.0.1:0"]);
    const { port } = await probe.waitFor((e) => e.event === "listening");
    probe.proc.kill("SIGKILL");
    await probe.exit;
    const client = start("client", [
      "--origin",
      `127.0.0.1:${port}`,
      "--connect-deadline-ms",
      "1500",
    ]);
    assert.equal(await client.exit, 1);
    assert.match(
      summary(client).error,
      /Cannot connect to 127\.0\.0\.1:\d+: \d+ attempts failed within 1500 ms/,
    );
  });
});
