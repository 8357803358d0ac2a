/**
 * The cache engine driven by hand: no sockets, a manual `now` (under random
 * operations: cache_schedule_test.ts).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { CacheEngine } from "../../../engine/cache.ts";
import { acts, engine, kib, scenario } from "./cache_setup.ts";
import { isForesightError } from "../../../errors.ts";

describe("CacheEngine", () => {
  it("reports its registration with the port clients reach it on", () => {
    const cache = new CacheEngine();
    const out = cache.handle(
      { type: "registered", index: 1, scenario: scenario("seed"), port: 7000, lists: [[], []] },
      0,
    );
    assert.deepEqual(out.filter((e) => e.kind === "report"), [
      { kind: "report", event: { event: "registered", index: 1, port: 7000 } },
    ]);
    assert.equal(cache.index, 1);
    assert.equal(cache.registered, true);
  });

  it("answers a held file with a hit, and evicts it once served at a zero count", () => {
    const { cache, step, push } = engine("seed");
    push(3, 1);
    assert.deepEqual(acts(step({ type: "requested", conn: 1, client: 0, file: 3, at: 5 })), [
      { kind: "hit", conn: 1, file: 3, at: 5 },
    ]);
    assert.equal(cache.store!.get(3)?.count, 0);
    assert.deepEqual(acts(step({ type: "served", conn: 1, file: 3 })), [
      { kind: "evict", file: 3 },
    ]);
    assert.equal(cache.store!.used, 0);
    assert.equal(cache.hits, 1);
  });

  it("answers a file neither held nor on its way with a miss", () => {
    const { cache, step } = engine("seed");
    assert.deepEqual(acts(step({ type: "requested", conn: 1, file: 7 })), [
      { kind: "miss", conn: 1, file: 7, at: undefined },
    ]);
    assert.equal(cache.misses, 1);
  });

  it("asks for refills only once the origin's start ended the warm-up", () => {
    const { step, push } = engine("seed");
    assert.deepEqual(acts(push(1, 1, 5)), [], "no refill during the warm-up");
    const out = step({ type: "started" }, 10);
    assert.deepEqual(acts(out), [
      { kind: "toOrigin", message: { type: "start" } },
      { kind: "toOrigin", message: { type: "request", file: 5, at: 10 } },
    ]);
    assert.deepEqual(out.find((e) => e.kind === "report"), {
      kind: "report",
      event: { event: "warm", files: 1, bytes: kib(1) },
    });
  });

  it("parks a request for a refill on its way, then hits it from when the push began", () => {
    const { cache, step, push } = engine("seed");
    push(1, 1, 5);
    step({ type: "started" });
    assert.deepEqual(acts(step({ type: "requested", conn: 1, client: 0, file: 5, at: 10 })), []);
    assert.equal(cache.parked, 1);
    assert.deepEqual(acts(push(5, 1, null, 12)), [{ kind: "hit", conn: 1, file: 5, at: 12 }]);
    assert.equal(cache.parked, 0);
  });

  it("parks a request for a refill on its way, then misses it when the origin declines", () => {
    const { cache, step, push } = engine("seed");
    push(1, 1, 5);
    step({ type: "started" });
    step({ type: "requested", conn: 1, client: 0, file: 5, at: 10 });
    assert.deepEqual(acts(step({ type: "declined", file: 5, next: null }, 14)), [
      { kind: "miss", conn: 1, file: 5, at: 14 },
    ]);
    assert.equal(cache.parked, 0);
  });

  it("dates a refill from the model's moment: a push's start, a hit's due, a declined refill's ask", () => {
    const { step, push } = engine("seed", 8);
    push(1, 1, 5);
    step({ type: "started" }, 10); // asks for 5 at 10
    // The header of 5 arrived at 14; its push began at 12: the next refill is asked as of 12.
    assert.deepEqual(
      acts(step({ type: "pushBegan", file: 5, size: kib(5), count: 1, next: 3, began: 12 }, 14)),
      [],
    );
    step({ type: "requested", conn: 1, client: 0, file: 5, at: 15 }, 15);
    // 3 KiB do not fit before 5 is evicted: the hit was due to end at 16, the refill is asked as of then.
    assert.deepEqual(acts(step({ type: "served", conn: 1, file: 5, due: 16 }, 17)), [
      { kind: "evict", file: 5 },
      { kind: "toOrigin", message: { type: "request", file: 3, at: 16 } },
    ]);
    // Declined at 20 (the miss came behind a push): the next refill is asked as of 16, as the model answers at once.
    assert.deepEqual(acts(step({ type: "declined", file: 3, next: 4 }, 20)), [
      { kind: "toOrigin", message: { type: "request", file: 4, at: 16 } },
    ]);
    // A request made at 18 came after that ask in the model: it waits for 4.
    assert.deepEqual(
      acts(step({ type: "requested", conn: 2, client: 1, file: 4, at: 18 }, 21)),
      [],
    );
  });

  it("foresight waits for a push it was routed to, even before the refill is asked", () => {
    const { step, push } = engine("foresight");
    assert.deepEqual(acts(step({ type: "requested", conn: 1, client: 0, file: 4, at: 2 })), []);
    assert.deepEqual(acts(push(4, 1, null, 3)), [{ kind: "hit", conn: 1, file: 4, at: 3 }]);
  });

  it("answers one request at a time per connection, in order", () => {
    const { step, push } = engine("seed");
    push(2, 1);
    push(3, 1);
    assert.deepEqual(acts(step({ type: "requested", conn: 1, file: 2 })), [
      { kind: "hit", conn: 1, file: 2, at: undefined },
    ]);
    assert.deepEqual(acts(step({ type: "requested", conn: 1, file: 3 })), [], "behind the hit");
    assert.deepEqual(acts(step({ type: "served", conn: 1, file: 2 })), [
      { kind: "evict", file: 2 },
      { kind: "hit", conn: 1, file: 3, at: undefined },
    ]);
  });

  it("drops a closed connection's parked request: it takes no request owed to another", () => {
    const { cache, step, push } = engine("foresight");
    step({ type: "requested", conn: 1, client: 0, file: 4 });
    assert.deepEqual(acts(step({ type: "connClosed", conn: 1 })), []);
    assert.equal(cache.parked, 0);
    assert.deepEqual(acts(push(4, 1)), [], "nobody to wake");
    assert.equal(cache.store!.get(4)?.count, 1, "still owed to the other client");
    assert.deepEqual(acts(step({ type: "requested", conn: 2, client: 1, file: 4 })), [
      { kind: "hit", conn: 2, file: 4, at: undefined },
    ]);
  });

  it("drops a closed connection's queued requests, and still ends its hit", () => {
    const { cache, step, push } = engine("seed");
    push(2, 1);
    push(3, 1);
    step({ type: "requested", conn: 1, file: 2 });
    step({ type: "requested", conn: 1, file: 3 });
    step({ type: "connClosed", conn: 1 });
    assert.deepEqual(acts(step({ type: "served", conn: 1, file: 2 })), [
      { kind: "evict", file: 2 },
    ]);
    assert.equal(cache.store!.get(3)?.count, 1);
  });

  it("on a release forgoes what the client was owed and not served", () => {
    const { cache, step, push } = engine("seed");
    push(2, 2);
    push(4, 1);
    step({ type: "requested", conn: 1, client: 0, file: 2 });
    step({ type: "served", conn: 1, file: 2 });
    const out = step({ type: "released", client: 0, files: [2, 4, 9] });
    assert.deepEqual(acts(out), [{ kind: "evict", file: 4 }]);
    assert.deepEqual(out.find((e) => e.kind === "log"), {
      kind: "log",
      level: "info",
      message: "client released",
      fields: { client: 0, forgone: 1 },
    });
    assert.equal(cache.store!.get(2)?.count, 1, "file 2 was served to client 0: still owed");
  });

  it("refuses a push that does not fit, changing nothing", () => {
    const { cache, push } = engine("seed", 10);
    push(6, 1, 3);
    assert.throws(() => push(5, 1, 7), (e) => isForesightError(e, "CAPACITY"));
    assert.equal(cache.store!.used, kib(6));
    assert.equal(cache.store!.size, 1);
  });

  it("refuses a request for a file id out of range", () => {
    const { cache, step } = engine("seed");
    assert.throws(
      () => step({ type: "requested", conn: 1, file: 21 }),
      (e) => isForesightError(e, "PROTOCOL") && /ids run from 1 to 20/.test(e.message),
    );
    assert.equal(cache.misses, 0);
  });

  it("at the stop drops parked requests and logs what is still owed", () => {
    const { cache, step, push } = engine("foresight");
    push(3, 2);
    step({ type: "requested", conn: 1, file: 9 });
    const out = step({ type: "stopped" });
    assert.equal(cache.parked, 0);
    assert.equal(cache.stopped, true);
    assert.deepEqual(out, [{
      kind: "log",
      level: "warn",
      message: "stopped with requests still owed",
      fields: { files: "3×2" },
    }]);
    assert.deepEqual(acts(step({ type: "requested", conn: 2, file: 3 })), [], "nothing after");
  });

  it("a pull-through cache fetches a miss, and hits every request joining it", () => {
    const { cache, step, push } = engine("lru");
    step({ type: "started" });
    assert.deepEqual(acts(step({ type: "requested", conn: 1, client: 0, file: 6 }, 3)), [
      { kind: "toOrigin", message: { type: "request", file: 6, at: 3 } },
    ]);
    step({ type: "requested", conn: 2, client: 1, file: 6 });
    assert.deepEqual(acts(push(6, 0, null, 5)), [
      { kind: "hit", conn: 1, file: 6, at: 5 },
      { kind: "hit", conn: 2, file: 6, at: 5 },
    ]);
    assert.equal(cache.misses, 1);
    assert.equal(cache.hits, 1);
  });

  it("a pull-through cache dates the fetch of a miss from the request, not from when it got to it", () => {
    for (const policy of ["lru", "belady"] as const) {
      const { step } = engine(policy);
      step({ type: "started" });
      // Made at 3 (the model's moment), handled at 10 (a live cache behind).
      const out = step({ type: "requested", conn: 1, client: 0, file: 6, at: 3 }, 10);
      assert.deepEqual(acts(out), [
        { kind: "toOrigin", message: { type: "request", file: 6, at: 3 } },
      ], policy);
    }
  });
});
