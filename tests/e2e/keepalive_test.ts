// The idle limit with real processes: a client stopped (SIGSTOP), whose kernel
// still acknowledges, is lost after the limit and the others go on.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  freeze,
  killStragglers,
  phaseIs,
  REQUESTS,
  startCluster,
  story,
  summaryOf,
  teardown,
} from "./roles.ts";

after(killStragglers);

const IDLE_MS = 2000;

describe("idle limit", () => {
  it("a stopped client is lost after the idle limit; the others finish while it is stopped", async () => {
    const c = await startCluster({ policy: "foresight", idleMs: IDLE_MS });
    const { origin, caches, clients } = c;
    const slow = clients[1]!;
    try {
      // Stopped while the caches warm: it has fetched nothing, so the run cannot
      // end before the origin drops it.
      await origin.waitFor(phaseIs("warming"));
      await freeze(slow);
      const others = [clients[0]!, clients[2]!, clients[3]!];
      // Everyone else ends, and the run with them, while it is still stopped.
      const codes = await Promise.all([origin, ...caches, ...others].map((r) => r.exit));
      assert.equal(slow.proc.exitCode, null, "the stopped client is still there");
      assert.deepEqual(codes, [0, 0, 0, 0, 0, 0], story(c));
      for (const o of others) {
        assert.equal(summaryOf(o)?.ok, true);
        assert.equal(summaryOf(o)?.verified, REQUESTS);
        assert.equal(summaryOf(o)?.corrupt, 0);
      }
      assert.equal(summaryOf(origin)?.lostClients, 1, story(c));
      for (const cache of caches) {
        assert.equal(
          summaryOf(cache)?.heldAtStop,
          0,
          "nothing owed to the stopped client is left behind",
        );
      }
      // Resumed, it finds its connections gone and fails with a clear message.
      slow.proc.kill("SIGCONT");
      assert.equal(await slow.exit, 1, slow.stderr());
      assert.match(
        summaryOf(slow)?.error ?? "",
        /^Cannot go on: this client was stopped for \d+ ms \(the idle limit is 2000 ms\), and its peers dropped it: .+$/,
        JSON.stringify(summaryOf(slow)),
      );
      for (const r of [origin, ...caches, ...clients]) {
        assert.ok(r.proc.exitCode !== null || r.proc.signalCode !== null, `${r.role} still runs`);
      }
    } finally {
      slow.proc.kill("SIGCONT");
      await teardown(c);
    }
  });

  it("a normal run much longer than a short idle limit loses nothing", async () => {
    // About 6 s with a 1 s limit: waits (for the start, for files, a cache
    // with nothing to do) are bridged by pings.
    const c = await startCluster({ idleMs: 1000, scale: 2 });
    try {
      const codes = await Promise.all([c.origin, ...c.caches, ...c.clients].map((r) => r.exit));
      assert.deepEqual(codes, [0, 0, 0, 0, 0, 0, 0], story(c));
      for (const cl of c.clients) assert.equal(summaryOf(cl)?.verified, REQUESTS);
      assert.equal(summaryOf(c.origin)?.lostClients, 0);
      assert.equal(summaryOf(c.origin)?.lostCaches, 0);
    } finally {
      await teardown(c);
    }
  });
});
