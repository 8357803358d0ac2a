// A connection reset in the middle of a file, with real processes: a client
// reaches cache 0 through a real TCP proxy (tests/e2e/tcp_proxy.ts), which
// cuts one cache→client connection with a RST halfway through a chunk of a
// file. The client must discard the partial file and fetch it, and the rest
// of that cache's files, again (from the origin); every byte is verified.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  type Cluster,
  killStragglers,
  REQUESTS,
  startCluster,
  story,
  summaryOf,
  teardown,
  within,
} from "./roles.ts";

after(killStragglers);

/**
 * The small cluster at scale 20 with a proxy that cuts one connection
 * mid-file, `afterBytes` into it: `"cache-client"` between the clients and
 * cache 0, `"origin-cache"` between cache 0 and the origin.
 */
async function cluster(
  between: "cache-client" | "origin-cache",
  policy: string,
  afterBytes: number,
  { capacityKiB = 3000, seed = 6, armed = true } = {},
): Promise<Cluster & { proxy: NonNullable<Cluster["proxy"]> }> {
  const c = await startCluster({
    policy,
    capacityKiB,
    seed,
    proxy: { between, reset: { afterBytes, midFile: true, armed } },
  });
  return { ...c, proxy: c.proxy! };
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
            const s = summaryOf(cl);
            assert.equal(s?.ok, true);
            assert.equal(s?.verified, REQUESTS, "every file verified");
            assert.equal(s?.corrupt, 0);
          }
          // The client whose connection was cut: it lost cache 0, discarded the
          // partial file (at least one whole chunk of it had arrived) and
          // fetched it and the rest of that cache's files from the origin.
          const hit = clients.filter((cl) => summaryOf(cl)?.lostSources > 0);
          assert.equal(hit.length, 1, story(c));
          const s = summaryOf(hit[0]!);
          assert.equal(s?.lostSources, 1);
          assert.ok(s?.discardedBytes >= 65_536, `discarded ${s?.discardedBytes} bytes`);
          for (const cl of clients) {
            if (cl !== hit[0]) assert.equal(summaryOf(cl)?.discardedBytes, 0);
          }
          const o = summaryOf(origin);
          assert.equal(o?.ok, true);
          assert.equal(o?.lostCaches, 0, "the cache itself is alive");
          assert.equal(o?.cutLinks, 1, "the client told the origin it lost the cache");
          for (const k of caches) {
            assert.equal(
              summaryOf(k)?.heldAtStop,
              0,
              `the cache forgoes what it owed the cut client\n${story(c)}`,
            );
          }
          assert.ok(
            o?.servedForLostCaches >= 1,
            "the origin served the cut file (and the rest of that cache's share) directly",
          );
        } finally {
          await teardown(c);
        }
      },
    );
  }

  // The proxy cuts the push under way once `afterBytes` have gone to cache 0:
  // 1 MB falls in its warm-up (which stops at its 3,072,000-byte capacity),
  // 4 MB in a refill, and refills only begin once the clients were started.
  for (const [afterBytes, phase] of [[1_000_000, "warming"], [4_000_000, "running"]] as const) {
    it(`an origin→cache connection reset mid-push while ${phase}: the cache fails, clients fall back to the origin`, async () => {
      const c = await cluster("origin-cache", "foresight", afterBytes);
      const { origin, caches, clients, proxy } = c;
      try {
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
        // A reset that comes while bytes are still unread reads, on Linux, as those
        // bytes and then a plain end: the frame is cut short either way.
        assert.match(summaryOf(caches[0]!)?.error, /reset|ended inside a frame/);
        for (const cl of clients) {
          assert.equal(summaryOf(cl)?.verified, REQUESTS);
          assert.equal(summaryOf(cl)?.corrupt, 0);
        }
        // Lost in the warm-up, every client finds cache 0 gone at the start; lost
        // mid-refill, at least the clients that push was for.
        const noticed = clients.filter((cl) => summaryOf(cl)?.lostSources === 1).length;
        assert.ok(phase === "warming" ? noticed === 4 : noticed >= 1, story(c));
        assert.equal(summaryOf(origin)?.lostCaches, 1);
        assert.equal(summaryOf(origin)?.lost[0]?.phase, phase, story(c));
      } finally {
        await teardown(c);
      }
    });
  }

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
      for (const cl of clients) assert.equal(summaryOf(cl)?.verified, REQUESTS);
      assert.equal(summaryOf(caches[0]!)?.heldAtStop, 0, "nothing owed to the cut client is left");
    } finally {
      await teardown(c);
    }
  });
});
