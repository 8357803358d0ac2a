import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { loadAdapter } from "../../../net/select.ts";
import { Peer } from "../../../live/peer.ts";
import { silentLogger } from "../../../core/log.ts";
import type { Conn } from "../../../net/types.ts";

describe("a peer that stops reading", () => {
  it("costs only its own connection: the stalled send is cut off, another goes on", async () => {
    const adapter = await loadAdapter();
    const accepted: Conn[] = [];
    const listener = await adapter.listen({ host: "127.0.0.1", port: 0 }, (c) => accepted.push(c));
    const slowConn = await adapter.connect(listener.address); // never reads
    const fastConn = await adapter.connect(listener.address);
    while (accepted.length < 2) await new Promise((r) => setTimeout(r, 10));
    const [toSlow, toFast] = accepted as [Conn, Conn];
    const slow = new Peer(toSlow, { log: silentLogger, stallMs: 600 });
    const fast = new Peer(toFast, { log: silentLogger, stallMs: 600 });
    const part = new Uint8Array(1 << 20);
    const big = Array.from({ length: 256 }, () => part); // 256 MiB: far more than socket buffers hold
    const t0 = performance.now();
    const stalled = slow.sendFile({ type: "hit", file: 1, size: 256 << 20 }, big);
    await assert.rejects(
      stalled,
      (e: Error & { code?: string }) => e.code === "CONN_CLOSED" || e.code === "TIMEOUT",
    );
    const waited = performance.now() - t0;
    assert.ok(waited >= 600 && waited < 10_000, `cut off after ${waited.toFixed(0)} ms`);
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
