// Real files end to end: an origin serving a generated folder (`--dir`),
// clients keeping what they verify (`--out`), on Node, Deno, Bun and mixed;
// then a byte flipped in flight (the client asks the origin again), a file
// changed on disk after it was listed (failed, not corrupt; the run ends),
// and a client killed and started again with the same `--out` (it fetches
// only what it does not have).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CANONICAL, requestList, type Scenario } from "../../core/run/scenario.ts";
import { runScenario } from "../../roles/run.ts";
import { scenarioBound } from "../../sim/lower_bound.ts";
import { DirStore } from "../../store/dir_store.ts";
import { filesUnder, type FileTree, makeFileTree, sha256Of } from "./file_tree.ts";
import {
  freePort,
  hasFiles,
  killStragglers,
  type Role,
  startRole,
  summaryOf,
  within,
} from "./roles.ts";
import { startProxy } from "./tcp_proxy.ts";
import { startRun } from "./cli_run.ts";
import type { RunReport } from "../../report/run_report.ts";

after(killStragglers);

let tree: FileTree;
let names: string[];
const REQUESTS = 20;

before(async () => {
  tree = makeFileTree();
  const store = await DirStore.open(tree.root);
  names = store.list().map((f) => f.name);
  assert.deepEqual(store.refused.map((r) => r.name), ["escape"], "the link out of the root");
});
after(() => rmSync(join(tree.root, ".."), { recursive: true, force: true }));

const scenario = (): Scenario => ({
  ...CANONICAL,
  files: names.length,
  requests: REQUESTS,
  clients: 4,
  capacityKiB: 4_000,
  scale: 200,
  seed: 3,
});

/** Client `i`'s folder holds exactly its files, each byte-identical to the source. */
function assertOut(dir: string, s: Scenario, i: number): void {
  const want = requestList(s.seed, i, s.files, s.requests).map((id) => names[id - 1]!).sort();
  assert.deepEqual(filesUnder(dir), want, `client ${i}: exactly its files, no temporary ones`);
  for (const name of want) {
    assert.equal(sha256Of(join(dir, name)), sha256Of(join(tree.root, name)), name);
  }
  assert.ok(!want.includes("escape"));
}

describe("foresight run --dir --out", () => {
  for (const runtime of ["node", "deno", "bun"]) {
    it(`serves a real folder on ${runtime}: every client's --out holds exactly its files, byte-identical`, async () => {
      const s = scenario();
      const out = join(tree.root, "..", `out-${runtime}`);
      const r = await runScenario(s, {
        runtime,
        host: "127.0.0.1",
        logLevel: "warn",
        timeoutS: 120,
        dir: tree.root,
        out,
        writeLog: () => {},
      });
      assert.deepEqual(r.errors, []);
      assertReport(r);
      for (let i = 0; i < s.clients; i++) assertOut(join(out, `client-${i}`), s, i);
    });
  }

  it("foresight run --runtime mixed --dir --demand --out: each client gets the demand's files by name", async () => {
    const s = scenario();
    const base = join(tree.root, "..");
    // Client i: the seed's list for i, by name (a CSV with quoted names).
    const lists = Array.from(
      { length: s.clients },
      (_, i) => requestList(s.seed, i, s.files, REQUESTS),
    );
    const csv = lists.flatMap((l, i) =>
      l.map((id) => `${i},"${names[id - 1]!.replaceAll('"', '""')}"`)
    );
    writeFileSync(join(base, "demand.csv"), `client,file\n${csv.join("\n")}\n`);
    const run = startRun([
      ...["--runtime", "mixed", "--dir", tree.root, "--demand", join(base, "demand.csv")],
      ...[
        "--out",
        join(base, "out-mixed"),
        "--capacity-kib",
        "4000",
        "--scale",
        "200",
        "--seed",
        "3",
      ],
      ...["--json", "--log-level", "warn"],
    ]);
    const { code } = await within(run.done, 120_000, "the run's end");
    assert.equal(code, 0, run.stderr());
    const r = JSON.parse(run.stdout().trim().split("\n").at(-1)!) as RunReport;
    assert.equal(r.scenario.files, names.length, "--files is the folder's count");
    assertReport(r);
    // The bound is the folder's, for the demand's lists: sizes from the listing, not n KiB.
    const sizes = (await DirStore.open(tree.root)).list().map((f) => f.size);
    const want = scenarioBound(r.scenario, lists, (f) => sizes[f - 1]!);
    assert.ok(r.lowerBound, "the report has its bound");
    assert.equal(r.lowerBound.seconds, want.seconds);
    assert.notEqual(want.seconds, scenarioBound(r.scenario, lists).seconds, "not the n-KiB bound");
    assert.deepEqual([...new Set(r.processes.map((p) => `${p.role}:${p.runtime}`))].sort(), [
      "cache:bun",
      "client:node",
      "origin:deno",
    ]);
    for (let i = 0; i < s.clients; i++) assertOut(join(base, "out-mixed", `client-${i}`), s, i);
  });
});

/** Every client verified every file, none corrupt, capacity kept, caches served some. */
function assertReport(r: RunReport): void {
  assert.equal(r.ok, true);
  for (const c of r.clients) {
    assert.equal(c.verified, REQUESTS);
    assert.equal(c.corrupt, 0);
  }
  for (const c of r.caches) {
    assert.ok(c.peakBytes <= c.capacityBytes);
    // A cache planning its room with the wrong sizes asks for what does not fit, and fails.
    assert.equal(c.ok, true, `cache ${c.index} ok`);
  }
  assert.deepEqual(r.processes.filter((p) => p.lost), [], "no role lost");
  assert.ok(r.links.cacheToClient > 0, "caches served some files");
}

/** Flags of a scenario for roles started one by one. */
function flags(s: Scenario): string[] {
  return [
    "--requests",
    String(s.requests),
    "--clients",
    String(s.clients),
    "--capacity-kib",
    String(s.capacityKiB),
    "--seed",
    String(s.seed),
    "--scale",
    String(s.scale),
  ];
}

/** An origin over the tree, cache 1, and cache 0 listening at `cache0` (a proxy may front it). */
async function startOrigin(s: Scenario, root: string): Promise<{ origin: Role; at: string }> {
  const origin = startRole("origin", ["--dir", root, ...flags(s), "--listen", "127.0.0.1:0"]);
  const port = (await within(origin.waitFor((e) => e.event === "listening"), 20_000, "listening"))
    .port;
  return { origin, at: `127.0.0.1:${port}` };
}

describe("integrity of real files in flight and on disk", () => {
  it("a byte flipped between a cache and a client: the copy is discarded, fetched again from the origin, and kept right", async () => {
    const s = { ...scenario(), clients: 2 };
    const { origin, at } = await startOrigin(s, tree.root);
    const cachePort = await freePort();
    const proxy = await startProxy({
      target: { host: "127.0.0.1", port: cachePort },
      flip: { files: 1 },
    });
    const out = join(tree.root, "..", "out-flip");
    const roles = [
      startRole("cache", [
        "--origin",
        at,
        "--index",
        "0",
        "--listen",
        `127.0.0.1:${cachePort}`,
        "--advertise",
        `127.0.0.1:${proxy.port}`,
      ]),
      startRole("cache", ["--origin", at, "--index", "1"]),
      ...[0, 1].map((i) =>
        startRole("client", [
          "--origin",
          at,
          "--index",
          String(i),
          "--out",
          join(out, `client-${i}`),
        ])
      ),
    ];
    try {
      const codes = await within(
        Promise.all([origin, ...roles].map((r) => r.exit)),
        60_000,
        "every exit",
      );
      assert.deepEqual(codes, [0, 0, 0, 0, 0]);
      assert.ok(proxy.flipped() >= 1, "a byte was flipped");
      const clients = roles.slice(2).map((r) => summaryOf(r)!);
      assert.equal(
        clients.reduce((a, c) => a + c.refetched, 0),
        proxy.flipped(),
        "each wrong copy fetched again",
      );
      for (const [i, c] of clients.entries()) {
        assert.equal(c.ok, true);
        assert.equal(c.verified, REQUESTS);
        assert.equal(c.corrupt, 0);
        assertOut(join(out, `client-${i}`), s, i);
      }
    } finally {
      await proxy.close();
    }
  });

  it("a file changed on disk after the origin listed it: refused by name, failed (not corrupt), the run still ends", async () => {
    const s = { ...scenario(), clients: 1 };
    const { origin, at } = await startOrigin(s, tree.root);
    // Client 0's first file, changed once the origin has listed and hashed the folder.
    const victim = names[requestList(s.seed, 0, s.files, s.requests)[0]! - 1]!;
    const path = join(tree.root, victim);
    const original = readFileSync(path);
    appendFileSync(path, "changed");
    try {
      const roles = [
        startRole("cache", ["--origin", at, "--index", "0"]),
        startRole("cache", ["--origin", at, "--index", "1"]),
        startRole("client", ["--origin", at, "--index", "0"]),
      ];
      const codes = await within(
        Promise.all([origin, ...roles].map((r) => r.exit)),
        60_000,
        "every exit",
      );
      assert.equal(codes[3], 1, "the client did not get every file");
      const c = summaryOf(roles[2]!)!;
      assert.equal(c.failed, 1);
      assert.equal(c.corrupt, 0);
      assert.equal(c.verified, REQUESTS - 1);
      assert.match(
        c.error,
        new RegExp(`Cannot serve ${JSON.stringify(victim)}: it changed on disk`),
      );
    } finally {
      writeFileSync(path, original); // back as it was (a fresh listing takes the new time)
    }
  });

  it("a client killed mid-run and started again with the same --out fetches only what it does not have", async () => {
    const s = { ...scenario(), clients: 1 };
    const out = join(tree.root, "..", "out-restart");
    // Its own list, by name (JSON): the seed's list for client 0, reversed.
    const want = join(tree.root, "..", "want.json");
    const list = requestList(s.seed, 0, s.files, REQUESTS).map((id) => names[id - 1]!);
    writeFileSync(want, JSON.stringify([list.reverse()]));
    // The first run cannot finish: every connection to the client holds files
    // back after its second (so it has 2..6 of its 20), and it is killed then.
    const first = await startOrigin(s, tree.root);
    const [o, c0, c1] = await Promise.all(
      [first.at, "", ""].map(async (at) => {
        const port = at === "" ? await freePort() : Number(at.split(":")[1]);
        const proxy = await startProxy({
          target: { host: "127.0.0.1", port },
          stall: { files: 2 },
        });
        return { port, proxy };
      }),
    );
    const caches = [c0!, c1!].map((c, k) =>
      startRole("cache", [
        ...["--origin", first.at, "--index", String(k), "--listen", `127.0.0.1:${c.port}`],
        ...["--advertise", `127.0.0.1:${c.proxy.port}`],
      ])
    );
    const client = startRole("client", [
      ...["--origin", `127.0.0.1:${o!.proxy.port}`, "--index", "0", "--out", out, "--want", want],
    ]);
    try {
      await within(client.waitFor(hasFiles(2)), 60_000, "two files in");
      client.proc.kill("SIGKILL");
      await client.exit;
      for (const r of [first.origin, ...caches]) {
        await within(r.exit, 30_000, "the first run's end");
      }
    } finally {
      await Promise.all([o!, c0!, c1!].map((p) => p.proxy.close()));
    }
    const kept = filesUnder(out).filter((n) => !n.includes(".foresight-part"));
    assert.ok(kept.length >= 2 && kept.length <= 6, `kept ${kept.length}`);

    const again = await startOrigin(s, tree.root);
    const roles = [
      ...[0, 1].map((k) => startRole("cache", ["--origin", again.at, "--index", String(k)])),
      startRole("client", ["--origin", again.at, "--index", "0", "--out", out, "--want", want]),
    ];
    const codes = await within(
      Promise.all([again.origin, ...roles].map((r) => r.exit)),
      60_000,
      "every exit",
    );
    assert.deepEqual(codes, [0, 0, 0, 0]);
    const c = summaryOf(roles[2]!)!;
    assert.equal(c.ok, true);
    assert.equal(c.skipped, kept.length, "what it had is not fetched again");
    assert.equal(c.hits + c.fromOrigin, REQUESTS - kept.length, "fetches: only the rest");
    assertOut(out, s, 0);
  });
});
