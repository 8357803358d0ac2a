// Bundles each role and the CLI for Node: dist/{data,cache,client,cli,bound_worker}.js and
// dist/mod.js.
import { build } from "esbuild";

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
