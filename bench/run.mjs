// Runs a TypeScript benchmark of this folder on Node: bundles bench/<name>.ts with
// esbuild into node_modules/.cache/foresight-bench/<name>.mjs (outside every lint,
// format and type check, and where its packages resolve), then runs the bundle.
//
//   node bench/run.mjs relay --runtime node
//   node bench/run.mjs fuzz --cases 200000
import process from "node:process";
import { build } from "esbuild";

/**
 * Bundles bench/<name>.ts and runs it with the flags that follow.
 *
 * @param {string} name the benchmark's file name without `.ts`
 */
export async function runBench(name) {
  const outfile = new URL(`../node_modules/.cache/foresight-bench/${name}.mjs`, import.meta.url);
  await build({
    entryPoints: [new URL(`./${name}.ts`, import.meta.url).pathname],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    outfile: outfile.pathname,
    logLevel: "warning",
  });
  await import(outfile.href);
}

if (import.meta.url === new URL(process.argv[1] ?? "", "file://").href) {
  const name = process.argv.splice(2, 1)[0];
  if (!name || !/^[a-z_]+$/.test(name)) {
    console.error("usage: node bench/run.mjs <relay|fuzz|…> [flags]");
    process.exit(2);
  }
  await runBench(name);
}
