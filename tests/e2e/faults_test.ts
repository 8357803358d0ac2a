// Faults with real processes: a role killed or started late mid-run. Each
// fault is injected in a phase the test has observed and pinned (see
// phase_faults_test.ts): client 3 is frozen (SIGSTOP) from the warm-up on, so
// it has fetched nothing and the run cannot end until it is thawed; the kill
// comes once the origin says the clients were started.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  type Cluster,
  freePort,
  freeze,
  killStragglers,
  phaseIs,
  REQUESTS,
  type Role,
  startCache,
  startCluster,
  startRole,
  summaryOf,
  teardown,
  thaw,
} from "./roles.ts";

after(killStragglers);

/**
 * Freezes client 3 while the caches warm (it fetches nothing), then resolves
 * once the origin has started the clients: the run is running and cannot end.
 */
async function pinRunning(c: Cluster): Promise<void> {
  await c.origin.waitFor(phaseIs("warming"));
  await freeze(c.clients[3]!);
  await c.origin.waitFor(phaseIs("running"));
}

describe("faults", () => {
  for (const policy of ["foresight", "seed"]) {
    it(`a cache killed mid-run: clients fall back to the origin and every file is verified (${policy})`, async () => {
      const c = await startCluster({ policy });
      const { origin, caches, clients } = c;
      try {
        await pinRunning(c);
        caches[0]!.proc.kill("SIGKILL");
        await origin.waitFor((e) => e.event === "cache-lost");
        await thaw(clients[3]!);
        const codes = await Promise.all(clients.map((c) => c.exit));
        assert.deepEqual(codes, [0, 0, 0, 0], clients.map((c) => c.stderr()).join("\n"));
        for (const c of clients) {
          const s = summaryOf(c);
          assert.equal(s?.ok, true);
          assert.equal(s?.verified, REQUESTS);
          assert.equal(s?.corrupt, 0);
        }
        // Client 3 had fetched nothing when the cache died: it must have noticed.
        assert.equal(summaryOf(clients[3]!)?.lostSources, 1, "client 3 noticed the lost cache");
        assert.equal(await origin.exit, 0, origin.stderr());
        assert.equal(summaryOf(origin)?.lostCaches, 1);
        assert.equal(await caches[1]!.exit, 0, caches[1]!.stderr());
        assert.equal(await caches[0]!.exit, null, "killed by a signal");
      } finally {
        await teardown(c);
      }
    });
  }

  for (const policy of ["foresight", "seed", "lru"]) {
    it(`a cache restarted mid-run takes its place back and serves again (${policy})`, async () => {
      // Client 3 (frozen) has its whole list left when the restarted cache is back.
      const c = await startCluster({ policy });
      const { origin, caches, clients } = c;
      let again: Role | undefined;
      try {
        await pinRunning(c);
        caches[0]!.proc.kill("SIGKILL");
        await origin.waitFor((e) => e.event === "cache-lost");
        again = startCache(c, ["--index", "0"]);
        await origin.waitFor((e) => e.event === "cache-rejoined");
        await thaw(clients[3]!);
        const codes = await Promise.all(clients.map((c) => c.exit));
        assert.deepEqual(codes, [0, 0, 0, 0], clients.map((c) => c.stderr()).join("\n"));
        for (const c of clients) {
          assert.equal(summaryOf(c)?.verified, REQUESTS);
          assert.equal(summaryOf(c)?.corrupt, 0);
        }
        assert.equal(await origin.exit, 0, origin.stderr());
        assert.equal(summaryOf(origin)?.lostCaches, 1);
        assert.equal(summaryOf(origin)?.rejoinedCaches, 1);
        assert.equal(await again.exit, 0, again.stderr());
        const back = summaryOf(again);
        assert.equal(back?.index, 0);
        // (A pull-through cache counts a request it fetched for as a miss: bytes, not hits.)
        assert.ok(back?.bytesToClients > 0, "the restarted cache served clients again");
        assert.equal(summaryOf(clients[3]!)?.regainedSources, 1, "client 3 went back to it");
        assert.equal(await caches[1]!.exit, 0, caches[1]!.stderr());
        if (policy !== "lru") {
          // Pull-through caches keep what they hold; demand-counted ones end empty.
          assert.equal(back?.heldAtStop, 0, "every push carried exactly the requests it got");
          assert.equal(summaryOf(caches[1]!)?.heldAtStop, 0);
        }
      } finally {
        await teardown(c, again ? [again] : []);
      }
    });
  }

  for (const policy of ["foresight", "seed"]) {
    it(`a client killed mid-run: its demand is released and the others finish (${policy})`, async () => {
      const c = await startCluster({ policy });
      const { origin, caches, clients } = c;
      try {
        // Client 1 frozen too: it has fetched nothing when it is killed, running.
        await c.origin.waitFor(phaseIs("warming"));
        await freeze(clients[1]!);
        await pinRunning(c);
        clients[1]!.proc.kill("SIGKILL");
        await origin.waitFor((e) => e.event === "client-lost");
        await thaw(clients[3]!);
        const others = [clients[0]!, clients[2]!, clients[3]!];
        assert.deepEqual(await Promise.all(others.map((c) => c.exit)), [0, 0, 0]);
        for (const c of others) assert.equal(summaryOf(c)?.verified, REQUESTS);
        assert.equal(await origin.exit, 0, origin.stderr());
        assert.equal(summaryOf(origin)?.lostClients, 1);
        // Its requests still at the origin were withdrawn (those pushes had carried
        // into caches were forgone there, see heldAtStop below): nothing is left owed,
        // and no request was served on another's count.
        const { ledger, ownerRaces } = summaryOf(origin)!;
        assert.equal(ledger.outstanding, 0, "the lost client's requests were withdrawn");
        assert.equal(ledger.added, ledger.direct + ledger.handed + ledger.cancelled);
        assert.equal(ownerRaces, 0);
        for (const c of caches) {
          assert.equal(await c.exit, 0, `${summaryOf(c)?.error}\n${c.stderr()}`);
          assert.equal(
            summaryOf(c)?.heldAtStop,
            0,
            "nothing owed to the lost client is left behind",
          );
        }
      } finally {
        await teardown(c);
      }
    });
  }

  it("the origin started last: caches and clients retry until it is there", async () => {
    // Caches and clients first, pointed at a port free a moment ago; the origin 1.5 s later.
    const c = await startCluster({ scale: 50, originLateMs: 1500 });
    try {
      const codes = await Promise.all([c.origin, ...c.caches, ...c.clients].map((r) => r.exit));
      assert.deepEqual(codes, [0, 0, 0, 0, 0, 0, 0]);
      for (const cl of c.clients) assert.equal(summaryOf(cl)?.verified, REQUESTS);
    } finally {
      await teardown(c);
    }
  });

  it("no origin at all: a client gives up at its deadline with a clear message", async () => {
    const port = await freePort();
    const client = startRole("client", [
      "--origin",
      `127.0.0.1:${port}`,
      "--connect-deadline-ms",
      "1500",
    ]);
    assert.equal(await client.exit, 1);
    assert.match(
      summaryOf(client)?.error,
      /Cannot connect to 127\.0\.0\.1:\d+: \d+ attempts failed within 1500 ms/,
    );
  });
});
