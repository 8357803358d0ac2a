// End to end, the npm package as a TypeScript user gets it: `npm pack` (which runs `prepare`,
// building dist/ and the declarations), install the tarball into a fresh project without the
// network, then type-check code that uses the package with the repo's tsc under strict
// settings and no runtime's types (no @types/node, bun or deno): right code compiles, wrong
// code fails naming its file. The packed module also loads and runs on Node.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { packageRoot } from "../../roles/run.ts";

const root = packageRoot();
const tsc = join(root, "node_modules", "typescript", "bin", "tsc");

/** The environment without the npm_* variables of an enclosing `npm test`. */
function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !/^npm_/i.test(k)) env[k] = v;
  }
  return { ...env, NO_COLOR: "1", NO_UPDATE_NOTIFIER: "1" };
}

/** Runs `cmd args` in `cwd`; returns its exit code and what it printed. */
function run(cmd: string, args: string[], cwd: string): { code: number | null; out: string } {
  const r = spawnSync(cmd, args, { cwd, env: cleanEnv(), encoding: "utf8", timeout: 60_000 });
  if (r.error) throw new Error(`Cannot run ${cmd}: ${r.error.message}`);
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

/** A strict consumer tsconfig: no runtime's types, the declarations checked too. */
function tsconfig(resolution: "nodenext" | "bundler", file: string): string {
  return JSON.stringify({
    compilerOptions: {
      target: "ES2022",
      module: resolution === "nodenext" ? "nodenext" : "esnext",
      moduleResolution: resolution,
      lib: ["ES2023", "DOM"],
      types: [],
      strict: true,
      noUncheckedIndexedAccess: true,
      exactOptionalPropertyTypes: true,
      verbatimModuleSyntax: true,
      skipLibCheck: false,
      noEmit: true,
    },
    files: [file],
  });
}

const GOOD = `import {
  CANONICAL,
  type ClientPolicy,
  type ClientSummary,
  type ControlMessage,
  type Fetch,
  loadAdapter,
  type OriginPolicy,
  type OriginSummary,
  runClient,
  runOrigin,
  type Scenario,
  scenarioBound,
  simulate,
  type SimResult,
  silentLogger,
  type Source,
} from "foresight-cache";

const scenario: Scenario = { ...CANONICAL, files: 300, requests: 60, policy: "lru" };
const result: SimResult = simulate(scenario, { check: true });
export const makespan: number = result.makespan;
export const bound: number = scenarioBound(scenario).seconds;
export const hello: ControlMessage = { type: "hello", v: 1, role: "client" };

/** Pushes nothing; every refill is granted; clients route themselves. */
export const origin: OriginPolicy = {
  warmup: () => [],
  hint: (_cache: number) => null,
  grant: (_cache: number, _file: number) => true,
  routes: (_client: number) => undefined,
};

/** Fetches its files from the origin, one at a time. */
export class OneByOne implements ClientPolicy {
  #todo: number[];
  constructor(files: number[]) {
    this.#todo = [...files];
  }
  poll(busy: ReadonlySet<Source>): Fetch[] {
    const file = this.#todo[0];
    return file === undefined || busy.has(-1) ? [] : [{ file, source: -1 }];
  }
  received(file: number, _source: Source): void {
    this.#todo = this.#todo.filter((f) => f !== file);
  }
  missed(_file: number, _source: Source): void {}
  route(_routes: readonly [number, Source][]): void {}
  lost(_source: Source): void {}
  regain(_source: Source, _files: readonly number[]): void {}
  get finished(): boolean {
    return this.#todo.length === 0;
  }
}

export async function live(): Promise<[OriginSummary, ClientSummary]> {
  const adapter = await loadAdapter();
  const listen = { host: "127.0.0.1", port: 9000 };
  return await Promise.all([
    runOrigin({ scenario, adapter, log: silentLogger, listen }),
    runClient({ adapter, origin: listen, log: silentLogger }),
  ]);
}
`;

const BAD = `import { CANONICAL, type Scenario, simulate } from "foresight-cache";

simulate("nope");
export const scenario: Scenario = { ...CANONICAL, files: "x" };
`;

describe("the npm package's TypeScript declarations", () => {
  let dir = "";
  let app = "";

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "foresight-pack-"));
    const pack = run("npm", ["pack", "--pack-destination", dir], root);
    assert.equal(pack.code, 0, `npm pack failed:\n${pack.out}`);
    const tarball = readdirSync(dir).find((f) => f.endsWith(".tgz"));
    assert.ok(tarball, `npm pack left no tarball in ${dir}:\n${pack.out}`);

    // The dependencies are linked from the repo's node_modules (npm ci filled it), so the
    // install needs no registry and no cache: --offline with an empty cache proves it.
    app = join(dir, "app");
    mkdirSync(app);
    const dep = (name: string) => `file:${join(root, "node_modules", name)}`;
    writeFileSync(
      join(app, "package.json"),
      JSON.stringify({
        name: "foresight-types-check",
        private: true,
        type: "module",
        dependencies: {
          "foresight-cache": `file:${join(dir, tarball)}`,
          "@hono/node-server": dep("@hono/node-server"),
          highs: dep("highs"),
          hono: dep("hono"),
          valibot: dep("valibot"),
        },
      }),
    );
    const install = run("npm", [
      "install",
      "--offline",
      "--cache",
      join(dir, "npm-cache"),
      "--ignore-scripts",
      "--no-audit",
      "--no-fund",
      "--no-package-lock",
    ], app);
    assert.equal(install.code, 0, `npm install of the tarball failed:\n${install.out}`);
    writeFileSync(join(app, "good.ts"), GOOD);
    writeFileSync(join(app, "bad.ts"), BAD);
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("ships dist/types/mod.d.ts and points `types` at it", () => {
    const pkg = join(app, "node_modules", "foresight-cache");
    assert.ok(existsSync(join(pkg, "dist", "types", "mod.d.ts")), "no dist/types/mod.d.ts");
    assert.ok(existsSync(join(pkg, "dist", "mod.js")), "no dist/mod.js");
  });

  for (const resolution of ["nodenext", "bundler"] as const) {
    it(`type-checks right code with moduleResolution ${resolution}, no runtime's types`, () => {
      writeFileSync(join(app, `tsconfig.${resolution}.json`), tsconfig(resolution, "good.ts"));
      const r = run(process.execPath, [tsc, "-p", `tsconfig.${resolution}.json`], app);
      assert.equal(r.code, 0, `tsc failed on good.ts:\n${r.out}`);
    });
  }

  it("rejects a wrong argument type, naming the file", () => {
    writeFileSync(join(app, "tsconfig.bad.json"), tsconfig("nodenext", "bad.ts"));
    const r = run(process.execPath, [tsc, "-p", "tsconfig.bad.json"], app);
    assert.notEqual(r.code, 0, `tsc accepted bad.ts:\n${r.out}`);
    assert.match(r.out, /bad\.ts\(3,\d+\): error TS2345/, r.out);
    assert.match(r.out, /bad\.ts\(4,\d+\): error TS2322/, r.out);
    assert.doesNotMatch(r.out, /node_modules/, r.out);
  });

  it("loads and runs on Node from the installed package", () => {
    const code = `import { CANONICAL, simulate } from "foresight-cache";
const r = simulate({ ...CANONICAL, files: 50, requests: 10, clients: 2 });
console.log(JSON.stringify({ makespan: r.makespan, clients: r.clients.length }));`;
    const r = run(process.execPath, ["--input-type=module", "-e", code], app);
    assert.equal(r.code, 0, r.out);
    const out = JSON.parse(r.out.trim().split("\n").at(-1)!);
    assert.equal(out.clients, 2);
    assert.ok(out.makespan > 0, r.out);
  });
});
