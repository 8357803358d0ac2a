// The README's quick start, command for command: an origin started by
// `deno task data` (with the npm-installed Deno, and with a Deno binary first
// on PATH), caches by `bun run roles/cache.ts`, clients by `node dist/client.js`
// — a cluster of three runtimes, each role its own process, every byte verified.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { packageRoot } from "../../roles/run.ts";
import { killGroup, killStragglers, type Role, startProcess, summaryOf } from "./roles.ts";

after(killStragglers);

const root = packageRoot();
const bin = (name: string) => join(root, "node_modules", ".bin", name);
const SCENARIO = ["--files", "300", "--requests", "30", "--capacity-kib", "2000", "--scale", "50"];

/** A folder holding only `deno`, a link to the real binary: "a Deno binary on PATH". */
function denoOnPath(): { env: NodeJS.ProcessEnv; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), "foresight-deno-"));
  symlinkSync(join(root, "node_modules", "deno", "deno"), join(dir, "deno"));
  return { dir, env: { ...process.env, PATH: `${dir}${delimiter}${process.env.PATH}` } };
}

const ENV = { ...process.env, NO_COLOR: "1", RUST_BACKTRACE: "0" };

describe("the README's quick start", () => {
  for (const task of ["data", "cache", "client"]) {
    it(`deno task ${task} --help starts the role, with npx deno and with deno on PATH`, () => {
      const viaNpx = spawnSync(bin("deno"), ["task", task, "--help"], {
        cwd: root,
        env: ENV,
        encoding: "utf8",
        timeout: 60_000,
      });
      assert.equal(viaNpx.status, 0, viaNpx.stderr);
      assert.match(viaNpx.stdout, new RegExp(`^foresight ${task} — `));
      const { dir, env } = denoOnPath();
      try {
        const viaPath = spawnSync("deno", ["task", task, "--help"], {
          cwd: root,
          env: { ...env, NO_COLOR: "1" },
          encoding: "utf8",
          timeout: 60_000,
        });
        assert.equal(viaPath.status, 0, viaPath.stderr);
        assert.equal(viaPath.stdout, viaNpx.stdout);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it("deno task data, bun run roles/cache.ts and node dist/client.js run a scenario together", async () => {
    const { dir, env } = denoOnPath();
    const roles: Role[] = [];
    try {
      const origin = startProcess("origin", [
        "deno",
        "task",
        "data",
        "--listen",
        "127.0.0.1:0",
        ...SCENARIO,
      ], { ...env, NO_COLOR: "1" });
      roles.push(origin);
      const { port } = await origin.waitFor((e) => e.event === "listening", 60_000);
      const at = `127.0.0.1:${port}`;
      for (let k = 0; k < 2; k++) {
        roles.push(startProcess("cache", [bin("bun"), "run", "roles/cache.ts", "--origin", at]));
      }
      for (let c = 0; c < 4; c++) {
        roles.push(startProcess("client", ["node", "dist/client.js", "--origin", at]));
      }
      const codes = await Promise.all(roles.map((r) => r.exit));
      assert.deepEqual(codes, roles.map(() => 0), roles.map((r) => r.stderr()).join("\n"));
      const runtimes = roles.map((r) => summaryOf(r)?.runtime);
      assert.deepEqual(runtimes, ["deno", "bun", "bun", "node", "node", "node", "node"]);
      for (const r of roles.slice(3)) {
        assert.equal(summaryOf(r)?.verified, 30, "every file of every client verified");
        assert.equal(summaryOf(r)?.corrupt, 0);
      }
      assert.equal(summaryOf(origin)?.ok, true);
    } finally {
      for (const r of roles) killGroup(r.proc);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
