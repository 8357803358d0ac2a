// The admin API over a fake role view, served on this runtime's native HTTP
// server and queried with fetch(): node, deno and bun run this file unchanged.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { adminApp } from "../../../admin/admin_app.ts";
import { httpRuntime, serve, type Served } from "../../../admin/serve.ts";
import { bytesOf, fakeView } from "./fake_view.ts";

async function bytes(r: Response): Promise<Uint8Array> {
  return new Uint8Array(await r.arrayBuffer());
}

describe(`admin API on ${httpRuntime()}`, () => {
  const origin = fakeView("origin", {
    bytesToCaches: 4096,
    bytesToClients: 1024,
    filesToCaches: 2,
    filesToClients: 1,
    demand: { added: 10, direct: 1, handed: 2, outstanding: 7 },
    clientsDone: [0],
    shapingToCaches: { transfers: 2, bytes: 4096, shapedMs: 610, takenMs: 1000, lateStartMs: 0 },
  });
  const cache = fakeView("cache", { index: 1, usedBytes: 5120, capacityBytes: 10240, hits: 3 });
  cache.held = new Set([5, 7]);
  const client = fakeView("client", { index: 2, files: 4, bytes: 9000 });
  const servers: Served[] = [];
  let o = "", k = "", c = "";

  before(async () => {
    const start = async (app: { fetch: (r: Request) => Response | Promise<Response> }) => {
      const s = await serve(app.fetch, { hostname: "127.0.0.1", port: 0 });
      servers.push(s);
      return `http://127.0.0.1:${s.port}`;
    };
    o = await start(adminApp(origin, { files: () => origin.files }));
    k = await start(
      adminApp(cache, { extraStats: () => ({ process: { rssBytes: 1e6, uptimeSeconds: 2 } }) }),
    );
    c = await start(adminApp(client));
  });
  after(async () => {
    for (const s of servers) await s.close();
  });

  it("binds a free port when asked for port 0", () => {
    for (const s of servers) assert.ok(s.port > 0 && s.port < 65536);
    assert.equal(new Set(servers.map((s) => s.port)).size, 3);
  });

  it("GET /health reads liveness and readiness from the phase", async () => {
    origin.setPhase("registering");
    let h = await (await fetch(`${o}/health`)).json();
    assert.deepEqual(h, {
      status: "ok",
      role: "origin",
      phase: "registering",
      registered: false,
      started: false,
      stopping: false,
    });
    origin.setPhase("running");
    h = await (await fetch(`${o}/health`)).json();
    assert.equal(h.registered, true);
    assert.equal(h.started, true);
    assert.equal(h.stopping, false);
    origin.setPhase("stopping");
    h = await (await fetch(`${o}/health`)).json();
    assert.equal(h.stopping, true);
  });

  it("GET /stats is the role's stats() as JSON, live", async () => {
    const r = await fetch(`${k}/stats`);
    assert.equal(r.status, 200);
    assert.match(r.headers.get("content-type") ?? "", /application\/json/);
    const s = await r.json();
    assert.equal(s.usedBytes, 5120);
    assert.deepEqual(s.process, { rssBytes: 1e6, uptimeSeconds: 2 });
    cache.counters.usedBytes = 6144;
    assert.equal((await (await fetch(`${k}/stats`)).json()).usedBytes, 6144);
  });

  it("GET /metrics is Prometheus text with HELP and TYPE for every family", async () => {
    const r = await fetch(`${o}/metrics`);
    assert.equal(r.status, 200);
    assert.match(r.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
    const text = await r.text();
    assert.match(text, /^foresight_link_sent_bytes_total\{link="origin_to_cache"\} 4096$/m);
    assert.match(text, /^foresight_link_sent_bytes_total\{link="origin_to_client"\} 1024$/m);
    assert.match(text, /^foresight_origin_demand_requests\{state="outstanding"\} 7$/m);
    assert.match(text, /^foresight_link_shaped_seconds_total\{link="origin_to_cache"\} 0\.61$/m);
    assert.match(text, /^foresight_link_taken_seconds_total\{link="origin_to_cache"\} 1$/m);
    assert.doesNotMatch(
      text,
      /link_taken_seconds_total\{link="origin_to_client"\}/,
      "none measured",
    );
    assert.match(text, /^foresight_origin_clients_done 1$/m);
    assert.match(text, /^foresight_phase\{role="origin",phase="stopping"\} 1$/m);
    const cacheText = await (await fetch(`${k}/metrics`)).text();
    assert.match(cacheText, /^foresight_cache_used_bytes\{cache="1"\} 6144$/m);
    assert.match(cacheText, /^foresight_cache_capacity_bytes\{cache="1"\} 10240$/m);
    assert.match(cacheText, /^foresight_process_resident_memory_bytes\{cache="1"\} 1000000$/m);
    for (const t of [text, cacheText]) {
      const seen = new Set<string>();
      for (const line of t.trimEnd().split("\n")) {
        const m = /^# (HELP|TYPE) (\S+) (.+)$/.exec(line);
        if (m) {
          if (m[1] === "TYPE") assert.match(m[3]!, /^(counter|gauge)$/);
          seen.add(`${m[1]} ${m[2]}`);
          continue;
        }
        const sample = /^([a-z_]+)(\{[^}]*\})? (-?[0-9.e+]+|NaN)$/.exec(line);
        assert.ok(sample, `a sample line: ${line}`);
        const name = sample[1]!;
        assert.ok(seen.has(`HELP ${name}`) && seen.has(`TYPE ${name}`), `HELP/TYPE before ${name}`);
        if (name.endsWith("_total")) assert.ok(seen.has(`TYPE ${name}`));
        assert.match(
          name,
          /_(bytes|files|total|seconds|requests|peers|lists|done|connected|allocated)$|^foresight_phase$/,
        );
      }
    }
  });

  it("GET /files/:id streams the origin's bytes whole", async () => {
    const r = await fetch(`${o}/files/7`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get("accept-ranges"), "bytes");
    assert.equal(r.headers.get("content-type"), "application/octet-stream");
    assert.equal(r.headers.get("x-cache"), null);
    assert.deepEqual(await bytes(r), bytesOf(7));
  });

  it("a cache marks a held file X-Cache: HIT and answers 404 for one it lacks", async () => {
    const hit = await fetch(`${k}/files/5`);
    assert.equal(hit.status, 200);
    assert.equal(hit.headers.get("x-cache"), "HIT");
    assert.deepEqual(await bytes(hit), bytesOf(5));
    const miss = await fetch(`${k}/files/6`);
    assert.equal(miss.status, 404);
    assert.equal(miss.headers.get("x-cache"), "MISS");
    assert.match((await miss.json()).error, /Cannot serve file 6: this cache does not hold it/);
  });

  it("Range requests get 206 with Content-Range: first bytes, a middle, a suffix, an open end", async () => {
    const whole = bytesOf(7);
    const cases: [string, number, number][] = [
      ["bytes=0-99", 0, 99],
      ["bytes=1000-2999", 1000, 2999],
      ["bytes=-100", whole.length - 100, whole.length - 1],
      ["bytes=7000-", 7000, whole.length - 1],
      ["bytes=7000-999999", 7000, whole.length - 1],
    ];
    for (const [range, start, end] of cases) {
      const r = await fetch(`${o}/files/7`, { headers: { range } });
      assert.equal(r.status, 206, range);
      assert.equal(r.headers.get("content-range"), `bytes ${start}-${end}/${whole.length}`, range);
      assert.deepEqual(await bytes(r), whole.subarray(start, end + 1), range);
    }
    const viaCache = await fetch(`${k}/files/7`, { headers: { range: "bytes=10-19" } });
    assert.equal(viaCache.status, 206);
    assert.equal(viaCache.headers.get("x-cache"), "HIT");
    assert.deepEqual(await bytes(viaCache), bytesOf(7).subarray(10, 20));
  });

  it("an unsatisfiable range gets 416 with Content-Range: bytes */size", async () => {
    const r = await fetch(`${o}/files/7`, { headers: { range: "bytes=7168-" } });
    assert.equal(r.status, 416);
    assert.equal(r.headers.get("content-range"), "bytes */7168");
    assert.match((await r.json()).error, /Cannot serve bytes=7168- of file 7: it has 7168 bytes/);
  });

  it("a malformed or multi-part Range is ignored: the whole file, 200", async () => {
    for (const range of ["pages=1-2", "bytes=5-1", "bytes=0-1,5-6"]) {
      const r = await fetch(`${o}/files/3`, { headers: { range } });
      assert.equal(r.status, 200, range);
      assert.equal((await bytes(r)).length, 3072);
    }
  });

  it("bad ids get 400 with valibot's message naming the value and the range", async () => {
    for (const id of ["0", "301", "abc", "1.5", "-3", "99999999999999999999"]) {
      const r = await fetch(`${o}/files/${id}`);
      assert.equal(r.status, 400, id);
      const body = await r.json();
      assert.equal(body.code, "SCHEMA_INVALID");
      assert.equal(body.field, "id");
      assert.equal(body.value, id);
      assert.equal(body.expected, "an integer 1..300");
      assert.equal(body.error, `Cannot serve file "${id}": id must be an integer 1..300`);
    }
  });

  it("HEAD /files/:id gives the headers only", async () => {
    const r = await fetch(`${o}/files/4`, { method: "HEAD" });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get("content-length"), "4096");
    assert.equal((await bytes(r)).length, 0);
  });

  it("a client has no files endpoint to speak of; unknown paths get a JSON 404", async () => {
    const r = await fetch(`${c}/files/1`);
    assert.equal(r.status, 404);
    assert.match((await r.json()).error, /a client holds no files/);
    const s = await (await fetch(`${c}/stats`)).json();
    assert.equal(s.bytes, 9000);
    const nf = await fetch(`${c}/nope`);
    assert.equal(nf.status, 404);
    assert.match((await nf.json()).error, /Cannot GET \/nope: no such endpoint/);
  });

  it("a large file streams intact in many parts", async () => {
    origin.files = 3000;
    const r = await fetch(`${o}/files/2999`);
    const got = await bytes(r);
    assert.equal(got.length, 2999 * 1024);
    assert.deepEqual(got, bytesOf(2999));
  });

  it("a read that fails mid-file ends the body early instead of sending wrong bytes", async () => {
    const broken = fakeView("cache", { index: 0 });
    broken.file = () => ({
      size: 4096,
      *read() {
        yield new Uint8Array(1024);
        throw new Error("Cannot read file: it was evicted meanwhile");
      },
    });
    const s = await serve(adminApp(broken).fetch, { port: 0 });
    try {
      // Whether the headers were out before the failure varies (Node and Bun read ahead and
      // answer 500; Deno cuts the body): never a 200 with a body that looks whole.
      const outcome = await fetch(`http://127.0.0.1:${s.port}/files/4`).then(
        async (r) => {
          if (r.status !== 200) return `status ${r.status}`;
          return await r.arrayBuffer().then((b) => `whole ${b.byteLength}`, () => "cut");
        },
        () => "cut",
      );
      assert.match(outcome, /^(cut|status 500)$/);
    } finally {
      await s.close();
    }
  });
});

describe("admin API with a shared secret", () => {
  it("wants the secret as a bearer token everywhere but /health", async () => {
    const app = adminApp(fakeView("cache", { index: 0 }), { token: "s3cret" });
    const ask = (path: string, auth?: string) =>
      app.fetch(new Request(`http://x${path}`, auth ? { headers: { authorization: auth } } : {}));
    assert.equal((await ask("/health")).status, 200);
    for (const path of ["/stats", "/metrics", "/files/1"]) {
      const none = await ask(path);
      assert.equal(none.status, 401, path);
      assert.match((await none.json()).error, /bearer token/);
      assert.equal((await ask(path, "Bearer wrong")).status, 401, path);
    }
    assert.equal((await ask("/stats", "Bearer s3cret")).status, 200);
  });
});
