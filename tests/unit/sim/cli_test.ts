import { describe, it } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { requestListsJson, simMainCli } from "../../../roles/sim.ts";
import { CANONICAL, requestList } from "../../../core/run/scenario.ts";

/** Runs the CLI with stdout and stderr captured. */
async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = process.stdout.write;
  const stderr = process.stderr.write;
  process.stdout.write =
    ((s: string) => (out.push(String(s)), true)) as typeof process.stdout.write;
  process.stderr.write =
    ((s: string) => (err.push(String(s)), true)) as typeof process.stderr.write;
  try {
    const code = await simMainCli(argv);
    return { code, out: out.join(""), err: err.join("") };
  } finally {
    process.stdout.write = stdout;
    process.stderr.write = stderr;
  }
}

const SMALL = ["--files", "200", "--clients", "3", "--requests", "40", "--capacity-kib", "300"];

describe("foresight sim", () => {
  it("prints the report as JSON: the RunReport shape plus lowerBound", async () => {
    const { code, out } = await run([...SMALL, "--policy", "foresight", "--json"]);
    assert.equal(code, 0);
    const r = JSON.parse(out);
    assert.equal(r.ok, true);
    assert.equal(r.clients.length, 3);
    assert.equal(r.caches.length, 2);
    for (const key of ["simSeconds", "hitRatio", "byteHitRatio", "wallSeconds"]) {
      assert.equal(typeof r[key], "number");
    }
    assert.deepEqual(Object.keys(r.links).sort(), [
      "cacheToClient",
      "originToCache",
      "originToClient",
    ]);
    assert.ok(r.simSeconds >= r.lowerBound.seconds - 1e-9);
  });

  it("prints the bounds, and the comparison of every policy", async () => {
    const bound = await run([...SMALL, "--bound", "--json"]);
    assert.equal(bound.code, 0);
    assert.equal(JSON.parse(bound.out).exact, true);
    const table = await run([...SMALL, "--compare", "--json"]);
    assert.equal(table.code, 0);
    const rows = JSON.parse(table.out) as { policy: string; seed: number; ratio: number }[];
    assert.equal(rows.length, 25, "5 policies × seeds 1..5");
    assert.ok(rows.every((r) => r.ratio >= 1 - 1e-9));
  });

  it("dumps each client's ascending request list, and says when it cannot write it", async () => {
    const json = requestListsJson({ ...CANONICAL, files: 200, clients: 3, requests: 40, seed: 7 });
    assert.deepEqual(JSON.parse(json), [0, 1, 2].map((c) => requestList(7, c, 200, 40)));
    const { code, err } = await run([
      ...SMALL,
      "--dump-requests",
      "/nonexistent/dir/requests.json",
    ]);
    assert.equal(code, 2);
    assert.match(err, /Cannot write --dump-requests/);
  });

  it("replays a dumped scenario exactly from --demand, and dumps the demand's lists", async () => {
    const dir = await mkdtemp(join(tmpdir(), "foresight-sim-"));
    try {
      const dump = join(dir, "requests.json");
      const first = await run([...SMALL, "--seed", "9", "--json", "--dump-requests", dump]);
      assert.equal(first.code, 0, first.err);
      // Another seed, no --clients or --requests: the demand sets the lists and their count.
      const again = join(dir, "again.json");
      const replay = await run([
        "--files",
        "200",
        "--capacity-kib",
        "300",
        "--json",
        "--demand",
        dump,
        "--dump-requests",
        again,
      ]);
      assert.equal(replay.code, 0, replay.err);
      const [a, b] = [JSON.parse(first.out), JSON.parse(replay.out)];
      assert.equal(b.simSeconds, a.simSeconds);
      assert.deepEqual(b.lowerBound.seconds, a.lowerBound.seconds);
      assert.deepEqual(b.clients, a.clients);
      assert.deepEqual(
        { ...b.scenario, seed: 9 },
        { ...a.scenario, requests: b.scenario.requests },
      );
      assert.equal(await readFile(again, "utf8"), await readFile(dump, "utf8"));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("simulates and bounds a folder's files at their sizes (--dir, --demand)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "foresight-sim-"));
    try {
      const tree = join(dir, "tree");
      await mkdir(join(tree, "sub dir"), { recursive: true });
      await writeFile(join(tree, "a.bin"), new Uint8Array(2048));
      await writeFile(join(tree, "empty"), new Uint8Array(0));
      await writeFile(join(tree, "sub dir", "big, é.bin"), new Uint8Array(3_000 * 1024));
      const demand = join(dir, "demand.csv");
      await writeFile(demand, 'client,file\nr1,a.bin\nr1,empty\nr2,"sub dir/big, é.bin"\nr2,1\n');
      const flags = ["--dir", tree, "--demand", demand, "--capacity-kib", "1000", "--json"];
      const { code, out, err } = await run(flags);
      assert.equal(code, 0, err);
      const r = JSON.parse(out);
      assert.deepEqual([r.scenario.files, r.scenario.clients, r.scenario.requests], [3, 2, 2]);
      assert.deepEqual(r.clients.map((c: { bytes: number }) => c.bytes), [2048, 2048 + 3_072_000]);
      // The 3,000 KiB file cannot pass a 1,000 KiB cache: 3 s over r2's origin link at best.
      assert.ok(r.lowerBound.seconds >= 3 - 1e-9, String(r.lowerBound.seconds));
      assert.ok(r.simSeconds >= r.lowerBound.seconds - 1e-9);
      const rows = await run([...flags, "--compare"]);
      assert.equal(rows.code, 0, rows.err);
      assert.equal(
        JSON.parse(rows.out).length,
        5,
        "one row per policy: the demand fixes the lists",
      );
      const wrong = await run([...flags, "--clients", "3"]);
      assert.equal(wrong.code, 2);
      assert.match(wrong.err, /Cannot use --clients 3 with --demand .*: it has 2 clients/);
      const alone = await run(["--dir", tree]);
      assert.equal(alone.code, 2);
      assert.match(alone.err, /Cannot use --dir .*--demand/);
      await writeFile(demand, "r1,a.bin\nr1,nope.txt\n");
      const unknown = await run(flags);
      assert.equal(unknown.code, 2);
      assert.match(unknown.err, /demand\.csv: line 2: unknown file "nope\.txt"/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("exits 2 with a message on a bad flag", async () => {
    const { code, err } = await run(["--policy", "fastest"]);
    assert.equal(code, 2);
    assert.match(err, /policy/);
  });
});
