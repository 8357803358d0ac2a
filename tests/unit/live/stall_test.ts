/**
 * The stall watch (live/stall_watch.ts) on a manual clock: a write that
 * waits, a frame that stops, an idle peer and a paused process, each decided
 * by checks the clock drives; then a real peer that stops reading, whose
 * stalled send is cut off on the manual clock too.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ManualClock } from "../../../core/run/clock.ts";
import { StallWatch, type Watched } from "../../../live/stall_watch.ts";
import { loadAdapter } from "../../../net/select.ts";
import { Peer } from "../../../live/peer.ts";
import { silentLogger } from "../../../core/run/log.ts";
import type { Conn } from "../../../net/types.ts";
import { sleep } from "./peer_pair.ts";

/** Lets the watch's timer loop run what `advance` woke (it awaits one sleep at a time). */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

/** Moves the clock on by `ms` in steps of the watch's period, letting each check run. */
async function run(clock: ManualClock, stalls: StallWatch, ms: number): Promise<void> {
  const until = clock.now() + ms;
  while (clock.now() < until) {
    clock.advance(Math.min(stalls.period, until - clock.now()));
    await settle();
  }
}

/** A watched connection whose sides are set by hand, recording what the watch did. */
function fake(): Watched & {
  writing?: number;
  frame?: number;
  bytes: number;
  alive: boolean;
  chunksIn: number;
  writes: number;
  did: string[];
} {
  const f = {
    writing: undefined as number | undefined,
    frame: undefined as number | undefined,
    bytes: 0,
    alive: false,
    chunksIn: 0,
    writes: 0,
    did: [] as string[],
    writingSince: () => f.writing,
    stalled: (ms: number) => {
      f.did.push(`stalled ${ms}`);
      f.writing = undefined; // closed: the write ends
    },
    readingFrame: () => f.frame,
    readBytes: () => f.bytes,
    readStalled: (pending: number, quiet: number) => void f.did.push(`read ${pending} ${quiet}`),
    keepingAlive: () => f.alive,
    received: () => f.chunksIn,
    written: () => f.writes,
    ping: () => void f.did.push("ping"),
    idle: (ms: number) => void f.did.push(`idle ${ms}`),
  };
  return f;
}

describe("StallWatch on a manual clock", () => {
  it("checks every quarter of the shortest limit (20 ms to 1 s), and only while watching", async () => {
    const clock = new ManualClock();
    const stalls = new StallWatch(clock);
    assert.equal(clock.pending, 0, "no timer before anything is watched");
    const a = stalls.watch(fake(), 10_000);
    assert.equal(stalls.period, 1000);
    const b = stalls.watch(fake(), 400);
    assert.equal(stalls.period, 100);
    const c = stalls.watch(fake(), 10_000, 10_000, 60);
    assert.equal(stalls.period, 20, "an idle limit of 60 ms: a sixth, but at least 20 ms");
    await settle();
    assert.equal(clock.pending, 1, "one timer, however many connections");
    a();
    b();
    c();
    await settle();
    assert.equal(clock.pending, 0, "the timer stops with the last connection");
    assert.equal(stalls.size, 0);
  });

  it("cuts off a write that waited longer than its limit, within two periods", async () => {
    const clock = new ManualClock();
    const stalls = new StallWatch(clock);
    const w = fake();
    const unwatch = stalls.watch(w, 1000);
    w.writing = 0;
    await run(clock, stalls, 1000);
    assert.equal(w.did.join(", "), "", "at the limit: not yet");
    await run(clock, stalls, 500);
    assert.deepEqual(w.did, ["stalled 1250"]);
    unwatch();
  });

  it("leaves a write that finishes in time alone", async () => {
    const clock = new ManualClock();
    const stalls = new StallWatch(clock);
    const w = fake();
    const unwatch = stalls.watch(w, 1000);
    for (let i = 0; i < 10; i++) {
      w.writing = clock.now();
      await run(clock, stalls, 750);
      w.writing = undefined;
    }
    assert.equal(w.did.join(", "), "");
    unwatch();
  });

  it("cuts off a frame that began and went quiet, but not one that completes in time", async () => {
    const clock = new ManualClock();
    const stalls = new StallWatch(clock);
    const w = fake();
    const unwatch = stalls.watch(w, 10_000, 1000);
    assert.equal(stalls.period, 250);
    // Frames that each complete within the limit: never cut off.
    for (let frame = 0; frame < 8; frame++) {
      w.frame = frame;
      await run(clock, stalls, 500);
    }
    w.frame = undefined; // idle between frames: not limited
    await run(clock, stalls, 5000);
    assert.equal(w.did.join(", "), "");
    // A frame whose first bytes came and then nothing.
    w.frame = 8;
    w.bytes = 100;
    await run(clock, stalls, 1500);
    assert.equal(w.did.length, 1);
    const [, pending, quiet] = w.did[0]!.split(" ").map(Number);
    assert.ok(pending! > 1000 && pending! <= 1500, `cut off after ${pending} ms`);
    assert.equal(quiet, pending, "not one byte of it came");
    unwatch();
  });

  it("pings an idle connection after a third of its limit, closes it after the limit", async () => {
    const clock = new ManualClock();
    const stalls = new StallWatch(clock);
    const w = fake();
    const unwatch = stalls.watch(w, 10_000, 10_000, 600);
    assert.equal(stalls.period, 100);
    await run(clock, stalls, 2000);
    assert.equal(w.did.join(", "), "", "no keepalive before the handshake is over");
    w.alive = true;
    await run(clock, stalls, 300);
    assert.deepEqual(w.did, ["ping"]);
    await run(clock, stalls, 500);
    assert.ok(w.did.at(-1)!.startsWith("idle "), w.did.join(", "));
    const quiet = Number(w.did.at(-1)!.split(" ")[1]);
    assert.ok(quiet > 600 && quiet <= 800, `closed after ${quiet} ms of silence`);
    unwatch();
  });

  it("a connection that keeps receiving is never idle", async () => {
    const clock = new ManualClock();
    const stalls = new StallWatch(clock);
    const w = fake();
    w.alive = true;
    const unwatch = stalls.watch(w, 10_000, 10_000, 600);
    for (let i = 0; i < 40; i++) {
      w.chunksIn++;
      w.writes++;
      await run(clock, stalls, 200);
    }
    assert.equal(w.did.join(", "), "");
    unwatch();
  });

  it("reports a pause of the process, and does not count it against the peers", async () => {
    const clock = new ManualClock();
    const stalls = new StallWatch(clock);
    assert.deepEqual(stalls.lastPause(), { ms: 0, endedAt: -Infinity });
    const w = fake();
    w.alive = true;
    const unwatch = stalls.watch(w, 10_000, 10_000, 600);
    await run(clock, stalls, 200);
    // The process stops for 5 s: the next check comes that late.
    clock.advance(5000);
    assert.deepEqual(
      stalls.lastPause(),
      { ms: 4900, endedAt: 5200 },
      "seen at once, before the timer had its turn",
    );
    await settle();
    assert.deepEqual(stalls.lastPause(), { ms: 4900, endedAt: 5200 });
    assert.ok(!w.did.some((d) => d.startsWith("idle")), "the pause is not the peer's silence");
    unwatch();
  });
});

describe("a peer that stops reading", () => {
  it("costs only its own connection: the stalled send is cut off, another goes on", async () => {
    const adapter = await loadAdapter();
    const accepted: Conn[] = [];
    const listener = await adapter.listen({ host: "127.0.0.1", port: 0 }, (c) => accepted.push(c));
    const slowConn = await adapter.connect(listener.address); // never reads
    const fastConn = await adapter.connect(listener.address);
    while (accepted.length < 2) await sleep(10);
    const [toSlow, toFast] = accepted as [Conn, Conn];
    const clock = new ManualClock();
    const stalls = new StallWatch(clock);
    const slow = new Peer(toSlow, { log: silentLogger, stallMs: 600, watch: stalls });
    const fast = new Peer(toFast, { log: silentLogger, stallMs: 600, watch: stalls });
    const part = new Uint8Array(1 << 20);
    const big = Array.from({ length: 256 }, () => part); // 256 MiB: far more than socket buffers hold
    const stalled = slow.sendFile({ type: "hit", file: 1, size: 256 << 20 }, big);
    let over = false;
    stalled.then(() => (over = true), () => (over = true));
    // Time moves only here, a period at a time; real time just lets the sockets work.
    while (!over && clock.now() < 60_000) {
      clock.advance(stalls.period);
      await sleep(5);
    }
    await assert.rejects(
      stalled,
      (e: Error & { code?: string }) => e.code === "CONN_CLOSED" || e.code === "TIMEOUT",
    );
    assert.ok(clock.now() > 600 && clock.now() < 60_000, `cut off at ${clock.now()} ms`);
    assert.ok(
      (await toSlow.closed) instanceof Error,
      "the stalled connection was closed with a reason",
    );
    // The other connection still works.
    const reading = (async () => {
      let n = 0;
      for await (const chunk of fastConn.readable) {
        n += chunk.length;
        if (n >= 5 + 1024) break;
      }
      return n;
    })();
    await fast.send({ type: "stop", reason: "x".repeat(1024) });
    assert.ok(await reading >= 5 + 1024);
    slowConn.close();
    fastConn.close();
    fast.close(new Error("done"));
    await listener.close();
  });
});
