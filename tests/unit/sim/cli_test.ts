import { describe, it } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { requestListsJson, simMainCli } from "../../../roles/sim.ts";
import { CANONICAL, requestList } from "../../../core/scenario.ts";

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

  it("exits 2 with a message on a bad flag", async () => {
    const { code, err } = await run(["--policy", "fastest"]);
    assert.equal(code, 2);
    assert.match(err, /policy/);
  });
});
