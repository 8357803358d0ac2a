// End to end: every role's admin API on every runtime, queried with real
// HTTP requests while a small run goes on (the CLI's manners: cli_manners_test.ts).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { CANONICAL, requestList, type Scenario, shardOf } from "../../core/run/scenario.ts";
import { FileSource } from "../../core/files/virtual_files.ts";
import { runScenario } from "../../roles/run.ts";
import { freeze, thaw } from "./roles.ts";

// The probes run mid-run: client 3 is frozen (SIGSTOP) from the start until they are done, so
// the run cannot end before; LRU caches keep whole files around, so a cache has files to serve.
const small: Scenario = {
  ...CANONICAL,
  files: 300,
  requests: 60,
  capacityKiB: 2_000,
  scale: 20,
  seed: 3,
  policy: "lru",
};

const get = (port: number, path: string, init?: RequestInit) =>
  fetch(`http://127.0.0.1:${port}${path}`, init);

/** Everything the probes saw, asserted after the run. */
interface Seen {
  phases: Record<string, string>;
  stats: Record<string, Record<string, unknown>>;
  metrics: Record<string, string>;
  originFile?: {
    status: number;
    bytes: Uint8Array;
    range: { status: number; cr: string | null; bytes: Uint8Array };
  };
  badIds: { status: number; body: Record<string, unknown> }[];
  unsatisfiable?: { status: number; cr: string | null };
  cacheHits: { cache: number; id: number; xcache: string | null; bytes: Uint8Array }[];
  cacheMiss?: { status: number; xcache: string | null };
  clientFiles?: number;
  doneBeforeEnd: boolean;
}

/** Queries every role at once (the machine is busy with the run: requests wait for CPU). */
async function probe(
  ports: Map<string, number>,
  s: Scenario,
  seen: Seen,
  ended: () => boolean,
): Promise<void> {
  await Promise.all([
    probeRoles(ports, seen),
    probeOrigin(ports, s, seen),
    probeCaches(ports, s, seen, ended),
  ]);
}

async function probeRoles(ports: Map<string, number>, seen: Seen): Promise<void> {
  // Not client 3: it is frozen while the probes run (see below).
  await Promise.all(
    [...ports].filter(([k]) => k !== "client3").map(async ([k, port]) => {
      const health = await (await get(port, "/health")).json();
      assert.equal(health.status, "ok");
      seen.phases[k] = health.phase;
      const stats = await get(port, "/stats");
      assert.match(stats.headers.get("content-type") ?? "", /application\/json/);
      seen.stats[k] = await stats.json();
      const metrics = await get(port, "/metrics");
      assert.match(metrics.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
      seen.metrics[k] = await metrics.text();
    }),
  );
  const client = await get(ports.get("client0")!, "/files/1");
  seen.clientFiles = client.status;
  await client.body?.cancel();
}

async function probeOrigin(ports: Map<string, number>, s: Scenario, seen: Seen): Promise<void> {
  const origin = ports.get("origin")!;
  const whole = await get(origin, "/files/7");
  const part = await get(origin, "/files/7", { headers: { range: "bytes=1000-1999" } });
  seen.originFile = {
    status: whole.status,
    bytes: new Uint8Array(await whole.arrayBuffer()),
    range: {
      status: part.status,
      cr: part.headers.get("content-range"),
      bytes: new Uint8Array(await part.arrayBuffer()),
    },
  };
  for (const id of ["0", String(s.files + 1), "x7"]) {
    const r = await get(origin, `/files/${id}`);
    seen.badIds.push({ status: r.status, body: await r.json() });
  }
  const past = await get(origin, "/files/7", { headers: { range: "bytes=7168-" } });
  seen.unsatisfiable = { status: past.status, cr: past.headers.get("content-range") };
  await past.body?.cancel();
}

async function probeCaches(
  ports: Map<string, number>,
  s: Scenario,
  seen: Seen,
  ended: () => boolean,
): Promise<void> {
  // Each cache: find files it holds now (HEAD the files of its shard that clients asked for,
  // a batch at a time, again until one is found), then fetch one whole. Both caches at once.
  const wanted = [
    ...new Set(
      Array.from({ length: s.clients }, (_, c) => requestList(s.seed, c, s.files, s.requests))
        .flat(),
    ),
  ].sort((a, b) => a - b);
  await Promise.all(Array.from({ length: s.caches }, async (_, c) => {
    const port = ports.get(`cache${c}`)!;
    const candidates = wanted.filter((id) => shardOf(id, s.caches) === c);
    for (let at = 0; !ended(); at = (at + 40) % candidates.length) {
      const ids = candidates.slice(at, at + 40);
      const heads = await Promise.all(
        ids.map((id) => get(port, `/files/${id}`, { method: "HEAD" })),
      );
      const miss = heads.find((h) => h.status === 404);
      if (miss && !seen.cacheMiss) {
        seen.cacheMiss = { status: miss.status, xcache: miss.headers.get("x-cache") };
      }
      for (const [i, h] of heads.entries()) {
        if (h.headers.get("x-cache") !== "HIT") continue;
        const r = await get(port, `/files/${ids[i]}`);
        if (r.status !== 200) continue; // evicted meanwhile: try the next
        let bytes: Uint8Array;
        try {
          bytes = new Uint8Array(await r.arrayBuffer());
        } catch {
          continue; // evicted while it streamed: the body ends early; try the next
        }
        seen.cacheHits.push({ cache: c, id: ids[i]!, xcache: r.headers.get("x-cache"), bytes });
        return;
      }
    }
  }));
}

/** What /health, /stats and /metrics of every role said mid-run. */
function assertStatsAndMetrics(seen: Seen): void {
  // /health and /stats
  assert.equal(seen.phases.origin, "running");
  for (let c = 0; c < small.caches; c++) {
    assert.match(seen.phases[`cache${c}`]!, /^(running|warming)$/);
    assert.equal(seen.stats[`cache${c}`]!.capacityBytes, small.capacityKiB * 1024);
    assert.equal(seen.stats[`cache${c}`]!.index, c);
  }
  assert.equal(typeof seen.stats.origin!.bytesToCaches, "number");
  assert.ok((seen.stats.origin!.bytesToCaches as number) > 0, "the warm-up pushed bytes");
  assert.equal(seen.stats.client0!.index, 0);
  assert.equal((seen.stats.origin!.process as { rssBytes: number }).rssBytes > 0, true);

  // /metrics
  assert.match(
    seen.metrics.origin!,
    /^foresight_link_sent_bytes_total\{link="origin_to_cache"\} \d+$/m,
  );
  assert.match(seen.metrics.origin!, /^# TYPE foresight_link_sent_bytes_total counter$/m);
  assert.match(seen.metrics.cache1!, /^foresight_cache_used_bytes\{cache="1"\} \d+$/m);
  assert.match(
    seen.metrics.cache1!,
    new RegExp(
      `^foresight_cache_capacity_bytes\\{cache="1"\\} ${small.capacityKiB * 1024}$`,
      "m",
    ),
  );
  assert.match(
    seen.metrics.client0!,
    /^foresight_client_received_files_total\{client="0"\} \d+$/m,
  );
  assert.match(seen.metrics.origin!, /^foresight_phase\{role="origin",phase="running"\} 1$/m);
}

/** What /files said: real bytes and ranges from the origin, bad ids refused, hits and misses from the caches. */
function assertFiles(seen: Seen): void {
  // /files on the origin: real bytes, ranges, bad ids
  const files = new FileSource({ seed: small.seed });
  assert.equal(seen.originFile!.status, 200);
  assert.deepEqual(seen.originFile!.bytes, files.slice(7, 0, 7 * 1024));
  assert.equal(seen.originFile!.range.status, 206);
  assert.equal(seen.originFile!.range.cr, "bytes 1000-1999/7168");
  assert.deepEqual(seen.originFile!.range.bytes, files.slice(7, 1000, 1000));
  assert.deepEqual(seen.badIds.map((b) => b.status), [400, 400, 400]);
  for (const b of seen.badIds) {
    assert.match(String(b.body.error), /id must be an integer 1\.\.300/);
  }
  assert.deepEqual(seen.unsatisfiable, { status: 416, cr: "bytes */7168" });

  // /files on the caches: a held file is a HIT with the right bytes; others 404 MISS
  assert.equal(seen.cacheHits.length, small.caches, "each cache served a file it holds");
  for (const h of seen.cacheHits) {
    assert.equal(h.xcache, "HIT");
    assert.deepEqual(
      h.bytes,
      files.slice(h.id, 0, h.id * 1024),
      `cache ${h.cache} file ${h.id}`,
    );
  }
  assert.deepEqual(seen.cacheMiss, { status: 404, xcache: "MISS" });
  assert.equal(seen.clientFiles, 404, "a client serves no files");
}

describe("admin API of every role, mid-run", () => {
  for (const runtime of ["node", "deno", "bun"]) {
    it(`answers /health /stats /metrics /files on ${runtime}, without disturbing the run`, async () => {
      const ports = new Map<string, number>();
      const seen: Seen = {
        phases: {},
        stats: {},
        metrics: {},
        badIds: [],
        cacheHits: [],
        doneBeforeEnd: false,
      };
      let probing: Promise<void> | undefined;
      let ended = false;
      const pids = new Map<string, number>();
      const report = await runScenario(small, {
        runtime,
        host: "127.0.0.1",
        logLevel: "warn",
        timeoutS: 120,
        adminPort: 0,
        onEvent: (who, e) => {
          if (e.event === "admin") {
            assert.equal(e.role, who.role);
            ports.set(`${who.role}${who.role === "origin" ? "" : who.index}`, e.port);
            pids.set(`${who.role}${who.index}`, who.pid);
          }
          if (e.event === "start" && who.role === "origin") {
            const pinned = pids.get("client3")!;
            probing = freeze(pinned)
              .then(() => probe(ports, small, seen, () => ended))
              .then(() => void (seen.doneBeforeEnd = !ended))
              .finally(() => thaw(pinned));
            probing.catch(() => {}); // awaited once the run is over
          }
          if (e.event === "summary" && who.role === "origin") ended = true;
        },
      });
      assert.ok(probing, "the run started");
      await probing;
      assert.equal(report.ok, true, report.errors.join("; "));
      assert.equal(
        ports.size,
        1 + small.caches + small.clients,
        "every role printed its admin port",
      );
      assert.equal(seen.doneBeforeEnd, true, "the probes finished while the run went on");

      assertStatsAndMetrics(seen);
      assertFiles(seen);
    });
  }
});
