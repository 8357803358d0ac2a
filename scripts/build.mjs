// Bundles each role and the CLI for Node: dist/{data,cache,client,cli,bound_worker}.js and
// dist/mod.js; then emits the declarations of mod.ts into dist/types/ (package.json `types`).
import { build } from "esbuild";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const common = {
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  packages: "external",
  logLevel: "warning",
};
await build({
  ...common,
  entryPoints: {
    data: "roles/data.ts",
    cache: "roles/cache.ts",
    client: "roles/client.ts",
    cli: "roles/cli.ts",
    // The worker thread `foresight run` computes the lower bound in (roles/bound_thread.ts).
    bound_worker: "roles/bound_worker.ts",
    mod: "mod.ts",
  },
  outdir: "dist",
});

// Declarations: the repo's tsc (TypeScript 7, native) with tsconfig.types.json.
const TYPES = "dist/types";
rmSync(TYPES, { recursive: true, force: true });
const tsc = join(
  dirname(createRequire(import.meta.url).resolve("typescript/package.json")),
  "bin/tsc",
);
const run = spawnSync(process.execPath, [tsc, "-p", "tsconfig.types.json"], { stdio: "inherit" });
if (run.status !== 0) {
  console.error(`Cannot emit declarations: tsc exited with ${run.status ?? run.signal}`);
  process.exit(1);
}

// tsc keeps the sources' `.ts` specifiers in .d.ts files (rewriteRelativeImportExtensions
// rewrites only emitted JavaScript). TypeScript resolves them, but older versions and other
// tools do not: point them at `.js`, which every resolver maps to the `.d.ts` beside it.
// Comment lines (JSDoc examples) are left alone.
const SPECIFIER = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(["'])(\.{1,2}\/[^"'\n]*?)\.ts\2/g;
const COMMENT = /^\s*(\*|\/\*|\/\/)/;
for (const name of readdirSync(TYPES, { recursive: true })) {
  if (!name.endsWith(".d.ts")) continue;
  const file = join(TYPES, name);
  const lines = readFileSync(file, "utf8").split("\n");
  const out = lines.map((line) =>
    COMMENT.test(line) ? line : line.replace(SPECIFIER, "$1$2$3.js$2")
  );
  const left = out.find((line) =>
    !COMMENT.test(line) && /["']\.{1,2}\/[^"'\n]*\.ts["']/.test(line)
  );
  if (left !== undefined) {
    console.error(`Cannot rewrite declarations: ${file} still imports a .ts path: ${left.trim()}`);
    process.exit(1);
  }
  writeFileSync(file, out.join("\n"));
}
