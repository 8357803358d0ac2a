// A cache or a client lost in each phase of a run — registering, warming,
// running, stopping — with real processes: the run goes on for everyone else.
// Each fault is injected at a phase the test has observed (the origin's
// `phase`, `list` and `done` events) and pinned there: a client held back
// keeps the run registering, a frozen cache (SIGSTOP) keeps it warming (the
// warm-up waits for every live cache), a frozen client keeps it running.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  type Cluster,
  freeze,
  killStragglers,
  listOf,
  lostEvent,
  phaseIs,
  REQUESTS,
  type Role,
  startCache,
  startClient,
  startCluster,
  story,
  summaryOf,
  teardown,
  thaw,
} from "./roles.ts";

after(killStragglers);

/**
 * Where the phase is pinned by holding a role back or freezing one before the
 * fault, the scale only sets how long the rest takes (a run is 3.7 simulated s).
 */
const SCALE = 4;
/**
 * The warming tests freeze cache 1 once the origin says `warming`: at scale 1
 * its own warm-up takes at least 1.5 s of paced pushes, so the freeze lands
 * before it can end (the test checks the phase the origin names).
 */
const SCALE_WARMING = 1;

/**
 * Waits for every role still meant to run to exit, then checks what a loss
 * must leave intact: each surviving process exited 0, each surviving client
 * verified every file, the origin ended ok with `lost` as given.
 */
async function survivors(
  c: Cluster,
  gone: Role[],
  lost: { role: string; index: number; phase: string }[],
): Promise<void> {
  const alive = [c.origin, ...c.caches, ...c.clients].filter((r) => !gone.includes(r));
  const codes = await Promise.all(alive.map((r) => r.exit));
  assert.deepEqual(codes, alive.map(() => 0), story(c));
  for (const cl of c.clients.filter((r) => !gone.includes(r))) {
    const s = summaryOf(cl);
    assert.equal(s?.verified, REQUESTS, `client ${s?.index} verified every file\n${story(c)}`);
    assert.equal(s?.corrupt, 0);
  }
  const o = summaryOf(c.origin)!;
  assert.equal(o.ok, true, story(c));
  assert.deepEqual(
    o.lost.map((l: any) => ({ role: l.role, index: l.index, phase: l.phase })),
    lost,
    story(c),
  );
  for (const k of c.caches.filter((r) => !gone.includes(r))) {
    if (k.proc.exitCode === 0) {
      assert.equal(summaryOf(k)?.heldAtStop, 0, `nothing owed is left in a cache\n${story(c)}`);
    }
  }
}

describe("a role lost in any phase", () => {
  // (Every policy under random fault schedules: tests/unit/live/fault_schedule_test.ts.)
  for (const policy of ["foresight"]) {
    it(`a cache lost while registering: the run goes on without it (${policy})`, async () => {
      // Client 3 is held back: until its list is in, the run is registering.
      const c = await startCluster({ policy, scale: SCALE, clients: [0, 1, 2] });
      try {
        for (const i of [0, 1, 2]) {
          await c.origin.waitFor(listOf(i));
        }
        c.caches[0]!.proc.kill("SIGKILL");
        const ev = await c.origin.waitFor(lostEvent("cache", 0));
        assert.equal(ev.phase, "registering");
        startClient(c, 3);
        await survivors(c, [c.caches[0]!], [{ role: "cache", index: 0, phase: "registering" }]);
        for (const cl of c.clients) assert.ok(summaryOf(cl)?.lostSources >= 1, story(c));
      } finally {
        await teardown(c);
      }
    });

    it(`a client lost while registering: the others finish (${policy})`, async () => {
      const c = await startCluster({ policy, scale: SCALE, clients: [0, 1, 2] });
      try {
        for (const i of [0, 1, 2]) {
          await c.origin.waitFor(listOf(i));
        }
        c.clients[1]!.proc.kill("SIGKILL");
        assert.equal((await c.origin.waitFor(lostEvent("client", 1))).phase, "registering");
        startClient(c, 3);
        await survivors(c, [c.clients[1]!], [{ role: "client", index: 1, phase: "registering" }]);
        const { ledger } = summaryOf(c.origin)!;
        assert.equal(ledger.outstanding, 0, "its requests were withdrawn");
      } finally {
        await teardown(c);
      }
    });
  }

  for (const policy of ["foresight", "seed"]) {
    it(`a cache lost while warming: the warm-up ends without it (${policy})`, async () => {
      const c = await startCluster({ policy, scale: SCALE_WARMING });
      try {
        // Cache 1 frozen: it cannot confirm its warm-up, so the run stays warming.
        await c.origin.waitFor(phaseIs("warming"));
        await freeze(c.caches[1]!);
        c.caches[0]!.proc.kill("SIGKILL");
        assert.equal((await c.origin.waitFor(lostEvent("cache", 0))).phase, "warming");
        await thaw(c.caches[1]!);
        await survivors(c, [c.caches[0]!], [{ role: "cache", index: 0, phase: "warming" }]);
        assert.ok(c.clients.every((cl) => summaryOf(cl)?.lostSources === 1), story(c));
      } finally {
        await teardown(c);
      }
    });
  }

  it("a client lost while warming: its demand is released, the others finish", async () => {
    const c = await startCluster({ scale: SCALE_WARMING });
    try {
      await c.origin.waitFor(phaseIs("warming"));
      await freeze(c.caches[1]!);
      c.clients[2]!.proc.kill("SIGKILL");
      assert.equal((await c.origin.waitFor(lostEvent("client", 2))).phase, "warming");
      await thaw(c.caches[1]!);
      await survivors(c, [c.clients[2]!], [{ role: "client", index: 2, phase: "warming" }]);
      const { ledger } = summaryOf(c.origin)!;
      assert.equal(ledger.outstanding, 0);
      assert.equal(ledger.added, ledger.direct + ledger.handed + ledger.cancelled);
    } finally {
      await teardown(c);
    }
  });

  for (const target of ["cache", "client"] as const) {
    it(`a ${target} lost while running: the others finish`, async () => {
      const c = await startCluster({ scale: SCALE });
      try {
        // Client 3 frozen from the warm-up on: the run cannot end, so it stays running
        // (and a client victim is frozen too: it has fetched nothing when it is killed).
        const victim = target === "cache" ? c.caches[0]! : c.clients[1]!;
        const index = target === "cache" ? 0 : 1;
        await c.origin.waitFor(phaseIs("warming"));
        await freeze(c.clients[3]!);
        if (target === "client") await freeze(victim);
        await c.origin.waitFor(phaseIs("running"));
        victim.proc.kill("SIGKILL");
        assert.equal((await c.origin.waitFor(lostEvent(target, index))).phase, "running");
        await thaw(c.clients[3]!);
        await survivors(c, [victim], [{ role: target, index, phase: "running" }]);
      } finally {
        await teardown(c);
      }
    });
  }

  it("a client killed once it is done (stopping): nothing is lost, the run ends ok", async () => {
    const c = await startCluster({ scale: SCALE });
    try {
      // The origin has its `done`: the client has every file and waits for the stop.
      const first = await c.origin.waitFor((e) => e.event === "done");
      const victim = c.clients[first.client]!;
      victim.proc.kill("SIGKILL");
      await survivors(c, [victim], []);
      const last = victim.events.filter((e) => e.event === "progress").at(-1);
      assert.equal(last?.files, REQUESTS, "it had every file before it was killed");
    } finally {
      await teardown(c);
    }
  });

  it("a cache killed once the origin said stop: nothing is lost, the run ends ok", async () => {
    const c = await startCluster({ scale: SCALE });
    try {
      await c.origin.waitFor(phaseIs("stopping"));
      c.caches[1]!.proc.kill("SIGKILL"); // it may have exited already: then this does nothing
      await survivors(c, [c.caches[1]!], []);
    } finally {
      await teardown(c);
    }
  });

  it("a restarted cache takes a place lost while registering, and is warmed like the others", async () => {
    const c = await startCluster({ scale: SCALE, clients: [0, 1, 2] });
    let again: Role | undefined;
    try {
      for (const i of [0, 1, 2]) {
        await c.origin.waitFor(listOf(i));
      }
      c.caches[0]!.proc.kill("SIGKILL");
      await c.origin.waitFor(lostEvent("cache", 0));
      again = startCache(c, ["--index", "0"]);
      await c.origin.waitFor((e) => e.event === "cache-rejoined" && e.index === 0);
      startClient(c, 3);
      await survivors(c, [c.caches[0]!], [{ role: "cache", index: 0, phase: "registering" }]);
      assert.equal(await again.exit, 0, again.stderr());
      const back = summaryOf(again)!;
      assert.ok(back.pushedFiles > 0 && back.bytesToClients > 0, "it was warmed and served");
      assert.equal(back.heldAtStop, 0);
    } finally {
      await teardown(c, again ? [again] : []);
    }
  });

  it("a restarted cache takes a place lost while warming, and serves again", async () => {
    const c = await startCluster({ scale: SCALE_WARMING });
    let again: Role | undefined;
    try {
      await c.origin.waitFor(phaseIs("warming"));
      await freeze(c.caches[1]!);
      c.caches[0]!.proc.kill("SIGKILL");
      await c.origin.waitFor(lostEvent("cache", 0));
      again = startCache(c, ["--index", "0"]);
      await c.origin.waitFor((e) => e.event === "cache-rejoined" && e.index === 0);
      await thaw(c.caches[1]!);
      await survivors(c, [c.caches[0]!], [{ role: "cache", index: 0, phase: "warming" }]);
      assert.equal(await again.exit, 0, again.stderr());
      const back = summaryOf(again)!;
      assert.ok(back.bytesToClients > 0, `the restarted cache served clients\n${story(c)}`);
      assert.equal(back.heldAtStop, 0);
    } finally {
      await teardown(c, again ? [again] : []);
    }
  });
});
