/**
 * The lost-role decisions of `foresight run` (roles/run_watch.ts), driven by
 * hand: events and exits in, with the time, actions out.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { RunWatch, type WatchAction, type WatchTimes } from "../../../roles/run_watch.ts";

const ORIGIN = { role: "origin", index: 0 } as const;
const TIMES: WatchTimes = {
  dropGraceMs: 2000,
  unnoticedMs: 5000,
  originFailedMs: 2000,
  originEndedMs: 15_000,
};

/** A watch over an origin, 2 caches and `clients` clients, all started. */
function watched(clients = 4): RunWatch {
  const w = new RunWatch(clients, TIMES);
  w.started(ORIGIN);
  for (let i = 0; i < 2; i++) w.started({ role: "cache", index: i });
  for (let i = 0; i < clients; i++) w.started({ role: "client", index: i });
  return w;
}

/** Ticks at `now` and drains the actions. */
function at(w: RunWatch, now: number): WatchAction[] {
  w.tick(now);
  const out: WatchAction[] = [];
  for (let a = w.poll(); a; a = w.poll()) out.push(a);
  return out;
}

describe("RunWatch", () => {
  it("a cache killed mid-run is lost, with the origin's phase and reason; nothing is stopped", () => {
    const w = watched();
    w.exited({ role: "cache", index: 0 }, null, "SIGKILL", 1000);
    w.event(ORIGIN, {
      event: "cache-lost",
      index: 0,
      reason: "connection reset",
      phase: "running",
    }, 1010);
    assert.equal(w.nextTimeout(), undefined, "nothing left to wait for");
    assert.deepEqual(at(w, 60_000), []);
    assert.deepEqual(w.lost("cache", 0), { phase: "running", reason: "connection reset" });
    assert.equal(w.lost("cache", 1), undefined);
    assert.deepEqual(w.failures, []);
  });

  it("a dropped role that still runs after the grace gets SIGKILL; one that ends by itself does not", () => {
    const w = watched();
    w.event(ORIGIN, { event: "client-lost", index: 1, reason: "silent", phase: "running" }, 1000);
    w.event(ORIGIN, { event: "cache-lost", index: 1, reason: "reset", phase: "running" }, 1500);
    assert.equal(w.nextTimeout(), 3000);
    assert.deepEqual(at(w, 2999), []);
    w.exited({ role: "cache", index: 1 }, 1, null, 3100);
    const actions = at(w, 3100);
    assert.equal(actions.length, 1);
    assert.deepEqual(
      { ...actions[0], why: undefined },
      { type: "kill", role: "client", index: 1, signal: "SIGKILL", why: undefined },
    );
    assert.match((actions[0] as { why: string }).why, /origin dropped client 1 \(silent\)/);
    w.exited({ role: "client", index: 1 }, null, "SIGKILL", 3200);
    assert.deepEqual(at(w, 100_000), []);
    // Both lost (the cache's exit 1 is no failure of the run), nothing stopped.
    assert.deepEqual(w.lost("client", 1), { phase: "running", reason: "silent" });
    assert.deepEqual(w.lost("cache", 1), { phase: "running", reason: "reset" });
    assert.equal(w.stopped, false);
  });

  it("a failed origin: a failure naming it, the others stopped after the grace unless they end", () => {
    const w = watched();
    w.exited(ORIGIN, null, "SIGKILL", 1000);
    assert.deepEqual(w.failures, ["the origin exited on SIGKILL: the run cannot go on without it"]);
    assert.equal(w.originFailed, true);
    assert.deepEqual(at(w, 2999), []);
    assert.deepEqual(at(w, 3000), [{ type: "stop", why: "the origin is gone" }]);
    assert.equal(w.stopped, true);
    // Stopped by the run afterwards: neither lost nor anything more to do.
    w.exited({ role: "client", index: 0 }, null, "SIGTERM", 3100);
    assert.equal(w.lost("client", 0), undefined);
    assert.equal(w.nextTimeout(), undefined);
  });

  it("a failed origin whose roles all end by themselves stops nothing", () => {
    const w = watched(1);
    w.exited(ORIGIN, 1, null, 0, "cache 0 failed: reset");
    for (const who of [{ role: "cache", index: 0 }, { role: "cache", index: 1 }] as const) {
      w.exited(who, 1, null, 100);
    }
    w.exited({ role: "client", index: 0 }, 1, null, 100);
    assert.deepEqual(at(w, 10_000), []);
    assert.deepEqual(w.failures, [
      "the origin exited 1 (cache 0 failed: reset): the run cannot go on without it",
    ]);
  });

  it("a role that ended and that the origin does not drop: the run cannot finish, everyone stops", () => {
    const w = watched();
    w.event(ORIGIN, { event: "stats", role: "origin", phase: "registering" }, 0);
    w.exited({ role: "client", index: 3 }, 2, null, 1000);
    assert.equal(w.nextTimeout(), 6000);
    assert.deepEqual(at(w, 5999), []);
    const actions = at(w, 6000);
    assert.equal(actions.length, 1);
    assert.equal(actions[0]!.type, "stop");
    assert.deepEqual(w.failures, [
      "client 3 exited 2 and the origin did not drop it within 5000 ms: " +
      "the run cannot finish without it",
    ]);
    assert.equal(w.lost("client", 3), undefined, "a role failing on its own is not lost");
  });

  it("a role killed while the origin is stopping is lost, and the run is not stopped for it", () => {
    const w = watched(2);
    w.event(ORIGIN, { event: "done", client: 0 }, 0);
    w.event(ORIGIN, { event: "done", client: 1 }, 0);
    w.exited({ role: "cache", index: 0 }, null, "SIGKILL", 100);
    assert.deepEqual(at(w, 10_000), []);
    assert.deepEqual(w.lost("cache", 0), {});
    assert.deepEqual(w.failures, []);
  });

  it("after a clean origin, roles still running 15 s later are stopped and named", () => {
    const w = watched(1);
    w.exited(ORIGIN, 0, null, 0);
    w.exited({ role: "cache", index: 0 }, 0, null, 10);
    w.exited({ role: "client", index: 0 }, 0, null, 10);
    assert.deepEqual(at(w, 14_999), []);
    assert.deepEqual(at(w, 15_000), [{ type: "stop", why: "the origin ended" }]);
    assert.deepEqual(w.failures, ["cache 1 still running 15000 ms after the origin ended"]);
  });

  it("every client lost: said so, and nothing stopped when every role ends by itself", () => {
    const w = watched(2);
    w.event(ORIGIN, { event: "client-lost", index: 0, phase: "running", reason: "silent" }, 0);
    assert.equal(w.everyClientLost, false);
    w.event(ORIGIN, { event: "client-lost", index: 1, phase: "running", reason: "silent" }, 0);
    assert.equal(w.everyClientLost, true);
    for (const i of [0, 1]) w.exited({ role: "client", index: i }, null, "SIGKILL", 10);
    w.exited(ORIGIN, 0, null, 100);
    for (const i of [0, 1]) w.exited({ role: "cache", index: i }, 0, null, 200);
    assert.deepEqual(at(w, 60_000), []);
  });

  it("a cache lost, started again by hand and lost again keeps its first loss", () => {
    const w = watched();
    w.exited({ role: "cache", index: 0 }, null, "SIGKILL", 0);
    w.event(ORIGIN, { event: "cache-lost", index: 0, phase: "running", reason: "first" }, 0);
    w.event(ORIGIN, { event: "cache-rejoined", index: 0 }, 100);
    w.event(ORIGIN, { event: "cache-lost", index: 0, phase: "running", reason: "again" }, 200);
    assert.deepEqual(w.lost("cache", 0), { phase: "running", reason: "first" });
    assert.deepEqual(at(w, 60_000), []);
  });

  it("after the run stops everyone for its own reason, nothing more is decided", () => {
    const w = watched();
    w.stopping();
    w.event(ORIGIN, { event: "client-lost", index: 0, phase: "running", reason: "silent" }, 0);
    w.exited(ORIGIN, null, "SIGTERM", 10);
    w.exited({ role: "cache", index: 0 }, null, "SIGTERM", 10);
    assert.deepEqual(at(w, 60_000), []);
    assert.deepEqual(w.failures, []);
    assert.equal(w.lost("cache", 0), undefined, "the run's own signal is no loss");
  });
});
