// Every command the README shows is exercised: the table (readme_table.ts) says how for each one —
// by a test (or by .ci/run) that runs it or the same program, checked by grepping that file;
// or run here, with the smallest arguments that still do the work, its exit code and output
// checked; the quick start's roles run here as one cluster of three runtimes. A command the
// README shows that the table does not list fails the test by name, and so does an entry for
// a command the README no longer shows. The README's first screen stays the two commands.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import {
  firstBlock,
  mismatch,
  readmeCommands,
  runShell,
  type ShellResult,
} from "./readme_commands.ts";
import { HOW, readme, root } from "./readme_table.ts";
import { killGroup, killStragglers, type Role, startProcess, summaryOf } from "./roles.ts";

after(killStragglers);

/** The environment of a README command: the npm-installed deno and bun first on PATH, as npx has them. */
function commandEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("FORESIGHT_")) env[k] = v;
  env.PATH = `${join(root, "node_modules", ".bin")}${delimiter}${process.env.PATH}`;
  return { ...env, NO_COLOR: "1", RUST_BACKTRACE: "0" };
}

/** The commands of `markdown` that {@link HOW} does not list. */
const unlisted = (markdown: string) => readmeCommands(markdown).filter((c) => !(c in HOW));

describe("every command the README shows is exercised", () => {
  it("the README's first screen is the two commands", () => {
    assert.deepEqual(firstBlock(readme), ["npm ci && npm start", "npm test"]);
  });

  it("every command in the README is in the table of readme_table.ts, and only those", () => {
    assert.deepEqual(
      unlisted(readme),
      [],
      "README commands this test does not say how to exercise",
    );
    const shown = new Set(readmeCommands(readme));
    assert.deepEqual(
      Object.keys(HOW).filter((c) => !shown.has(c)),
      [],
      "table entries the README no longer shows",
    );
  });

  it("a command added to the README, inline or in a block, fails the table check", () => {
    const added =
      `${readme}\nRun \`npx foresight frobnicate\n--now\` or:\n\n\`\`\`sh\nbun bench/x.ts -q  # new\n\`\`\`\n`;
    const before = unlisted(readme);
    assert.deepEqual(unlisted(added).filter((c) => !before.includes(c)), [
      "bun bench/x.ts -q",
      "npx foresight frobnicate --now",
    ]);
  });

  it("each command run here is the README's command, with smaller arguments", () => {
    assert.equal(
      mismatch("npm start -- --json", "npm start -- --help"),
      `"npm start -- --help" does not keep --json of "npm start -- --json"`,
    );
    for (const [shown, how] of Object.entries(HOW)) {
      const runs = "run" in how ? [how.run].flat() : [];
      for (const concrete of runs) assert.equal(mismatch(shown, concrete), undefined, shown);
      if ("steps" in how) {
        assert.equal(how.steps.join(" && "), shown);
        for (const s of how.steps) assert.ok(s in HOW, `${shown}: step ${s} is in the table`);
      }
    }
  });

  it("each test named in the table runs in the suite and runs the command's program", () => {
    const testSh = readFileSync(join(root, "scripts", "test.sh"), "utf8");
    assert.match(testSh, /\$\(find tests -name '\*_test\.ts'/, "test.sh runs every *_test.ts");
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
    assert.equal(pkg.scripts.test, "bash scripts/test.sh");
    assert.match(readFileSync(join(root, ".ci", "run"), "utf8"), /^npm test$/m);
    for (const [shown, how] of Object.entries(HOW)) {
      if (!("by" in how)) continue;
      assert.ok(
        /^tests\/.*_test\.ts$/.test(how.by) || how.by === "scripts/test.sh" || how.by === ".ci/run",
        `${shown}: ${how.by} is not a test the suite runs`,
      );
      const file = join(root, how.by);
      assert.ok(existsSync(file), `${shown}: ${how.by} is missing`);
      const text = readFileSync(file, "utf8");
      for (const re of how.grep) assert.match(text, re, `${shown}: ${how.by} does not match ${re}`);
    }
  });
});

describe("the README's commands, run with small arguments", () => {
  const env = commandEnv();
  /** Each distinct command runs once, however many entries check its output. */
  const runs = new Map<string, Promise<ShellResult>>();
  const once = (command: string, timeoutMs: number) => {
    if (!runs.has(command)) runs.set(command, runShell(command, { cwd: root, env, timeoutMs }));
    return runs.get(command)!;
  };
  let total = 0;
  before(() => (total = performance.now()));
  after(() =>
    console.log(`# README commands: ${((performance.now() - total) / 1000).toFixed(1)} s`)
  );
  for (const [shown, how] of Object.entries(HOW)) {
    if (!("check" in how)) continue;
    it(shown, async () => {
      for (const command of [how.run].flat()) {
        const r = await once(command, 90_000);
        const said = `${command} (${r.seconds.toFixed(1)} s):\n${r.stdout}\n${r.stderr}`;
        assert.equal(r.code, 0, `exit ${r.code}: ${said}`);
        try {
          how.check(r.stdout);
        } catch (e) {
          throw new Error(`${command}: ${(e as Error).message}\n${said}`, { cause: e });
        }
      }
    });
  }

  const roles = Object.entries(HOW).flatMap(([shown, how]) =>
    "role" in how ? [{ shown, ...how }] : []
  );
  // The origin first, then the others in the table's order; each runtime is the command's program.
  const cluster = [
    ...roles.filter((r) => r.role === "origin"),
    ...roles.filter((r) => r.role !== "origin"),
  ];
  it(`the quick start's ${cluster.map((r) => r.shown).join(", ")} run a scenario together`, async () => {
    assert.equal(roles.filter((r) => r.role === "origin").length, 1, "one origin in the table");
    const started: Role[] = [];
    try {
      const origin = startProcess("origin", ["bash", "-c", cluster[0]!.run], env);
      started.push(origin);
      const { port } = await origin.waitFor((e) => e.event === "listening", 60_000);
      for (const r of cluster.slice(1)) {
        const run = r.run.replace("$ORIGIN", `127.0.0.1:${port}`);
        started.push(startProcess(r.role, ["bash", "-c", run], env));
      }
      const codes = await Promise.all(started.map((r) => r.exit));
      assert.deepEqual(codes, started.map(() => 0), started.map((r) => r.stderr()).join("\n"));
      assert.deepEqual(
        started.map((r) => `${r.role}:${summaryOf(r)?.runtime}`),
        cluster.map((r) => `${r.role}:${r.run.split(" ")[0]}`),
      );
      for (const r of started.filter((r) => r.role === "client")) {
        assert.equal(summaryOf(r)?.verified, 30, "every file of every client verified");
        assert.equal(summaryOf(r)?.corrupt, 0);
      }
      assert.equal(summaryOf(origin)?.ok, true);
    } finally {
      for (const r of started) killGroup(r.proc);
    }
  });
});
