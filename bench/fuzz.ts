/**
 * Fuzzes the frame/message decoder and the message handlers of real servers.
 *
 *   npx bun bench/fuzz.ts                                  # 100,000 decoder cases + 2,000 connections
 *   npx deno run -A bench/fuzz.ts --cases 200000
 *   node bench/run.mjs fuzz                                # on Node: esbuild bundle, then run
 *
 * Flags: `--cases N` decoder cases (default 100,000), `--connections N` fuzz
 * connections to the servers (default 2,000), `--batch N` connections per
 * batch between probes (default 16), `--seed N`, `--no-checks` (skip the
 * slow-sender and departed-client checks, ~14 s).
 *
 * (a) Decoder: random bytes, valid frame sequences mutated at the byte level,
 * frames whose JSON body has the wrong shape, frames at the body limit; each
 * fed at random split points (or byte by byte) into a fresh `MessageDecoder`
 * with random `maxBody`/`maxList`. Every push must return valid messages or
 * throw a `ForesightError`; see bench/fuzz_decoder.ts.
 *
 * (b) Servers: a real origin and cache in this process fed fuzz connections;
 * after each batch both must answer a probe `hello`; see bench/fuzz_servers.ts.
 * Then the checks of bench/fuzz_checks.ts (slow and departed senders).
 *
 * An escape is any non-ForesightError exception (thrown by the decoder,
 * uncaught or unhandled in the process, or caught and wrapped by a server's
 * connection handler) or a server that stopped answering. Other broken
 * expectations (an invalid message accepted, a buffer over the limit, …)
 * are violations. The exit code is 1 when there is either.
 *
 * @module
 */

import process from "node:process";
import { parseArgs } from "node:util";
import fc from "fast-check";
import { detectRuntime, loadAdapter } from "../net/select.ts";
import { kernelPeakRss, mib, rssSampler } from "./peak_rss.ts";
import { decoderCase, decoderStats, hex, type Problem, runDecoderCase } from "./fuzz_decoder.ts";
import { fuzzServers } from "./fuzz_servers.ts";
import { runChecks } from "./fuzz_checks.ts";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    cases: { type: "string", default: "100000" },
    connections: { type: "string", default: "2000" },
    batch: { type: "string", default: "16" },
    seed: { type: "string", default: "20240601" },
    "no-checks": { type: "boolean", default: false },
  },
});

function whole(name: string, min: number): number {
  const n = Number(values[name as "cases"]);
  if (!Number.isSafeInteger(n) || n < min) {
    console.error(`fuzz: --${name} ${values[name as "cases"]} is not an integer >= ${min}`);
    process.exit(2);
  }
  return n;
}

const cases = whole("cases", 0);
const connections = whole("connections", 0);
const batch = whole("batch", 1);
const seed = whole("seed", 0);
const t0 = performance.now();
const rss = rssSampler();
const escapes: string[] = [];
const violations: string[] = [];

// Anything thrown outside a handler's try, or a promise nobody awaits, is an escape.
const seen = new WeakSet<object>();
const uncaught = (what: string) => (e: unknown) => {
  if (typeof e === "object" && e !== null) {
    if (seen.has(e)) return;
    seen.add(e);
  }
  escapes.push(`${what}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
};
process.on("uncaughtException", uncaught("uncaught exception"));
process.on("unhandledRejection", uncaught("unhandled rejection"));

console.log(`fuzz on ${detectRuntime()}: seed ${seed}`);

// (a) The decoder.
const stats = decoderStats();
const problems: Problem[] = [];
fc.assert(
  fc.property(decoderCase, (c) => {
    const p = runDecoderCase(c, stats);
    if (p) problems.push(p);
    if (stats.cases % 2000 === 0) rss.sample();
    return true;
  }),
  { numRuns: cases, seed },
);
for (const p of problems) {
  (p.kind === "exception" ? escapes : violations).push(`decoder ${p.kind}: ${p.detail}`);
}
if (Object.keys(Object.prototype).length > 0) {
  violations.push(`Object.prototype polluted: ${Object.keys(Object.prototype).join(", ")}`);
}
if (problems.length > 0) {
  // Shrink the first failure to a small reproduction.
  const r = fc.check(
    fc.property(decoderCase, (c) => runDecoderCase(c, decoderStats()) === undefined),
    {
      numRuns: cases,
      seed,
    },
  );
  const c = r.counterexample?.[0];
  if (c) {
    console.log(
      `smallest failing decoder case: ${JSON.stringify({ ...c, bytes: hex(c.bytes) })}\n` +
        `  -> ${JSON.stringify(runDecoderCase(c, decoderStats()))}`,
    );
  }
}
const decodeMs = performance.now() - t0;
console.log(
  `decoder: ${stats.cases} cases, ${stats.messages} messages decoded, errors ${
    JSON.stringify(stats.errors)
  }, slowest case ${stats.slowestMs.toFixed(1)} ms, ${(decodeMs / 1000).toFixed(1)} s`,
);

// (b) The servers.
const adapter = await loadAdapter();
const t1 = performance.now();
const servers = await fuzzServers(adapter, {
  connections,
  seed,
  batch,
  onBatch: () => rss.sample(),
});
escapes.push(...servers.escapes);
console.log(
  `servers: ${servers.connections} connections in ${servers.generations} generations ` +
    `(${servers.endedByDesign} runs ended by a fuzz peer that had joined, by design), ` +
    `${servers.probes} probes, ${servers.lingering} left open by the server after 1.5 s, ` +
    `${((performance.now() - t1) / 1000).toFixed(1)} s`,
);
console.log(`  replies: ${JSON.stringify(servers.replies)}`);
for (const l of servers.lingeringSamples) console.log(`  left open: ${l}`);
console.log(`  connections closed by the servers, by code: ${JSON.stringify(servers.closedWith)}`);
const peakFuzz = rss.sampled();

// Slow and departed senders (`--no-checks` skips these, ~14 s).
const fuzzEscapes = escapes.length;
if (!values["no-checks"]) {
  const checks = await runChecks(adapter, seed);
  for (const line of checks.lines) console.log(line);
  escapes.push(...checks.escapes);
}

rss.stop();
const total = stats.cases + servers.connections;
console.log("\nsummary");
console.log(`  runtime      ${detectRuntime()}`);
console.log(
  `  cases        ${total} (${stats.cases} decoder + ${servers.connections} server connections)`,
);
console.log(
  `  escapes      ${escapes.length} (${fuzzEscapes} in the fuzz, ${
    escapes.length - fuzzEscapes
  } in the checks)`,
);
console.log(`  violations   ${violations.length}`);
console.log(
  `  peak memory  ${mib(peakFuzz)} MiB rss sampled during the fuzz` +
    ` (kernel high-water mark ${mib(kernelPeakRss() ?? 0)} MiB, checks included)`,
);
console.log(`  duration     ${((performance.now() - t0) / 1000).toFixed(1)} s`);
/** Prints distinct lines with how often each occurred, most frequent first. */
function printDistinct(label: string, lines: string[]): void {
  const counts = new Map<string, number>();
  for (const l of lines) counts.set(l, (counts.get(l) ?? 0) + 1);
  const sorted = [...counts].sort((a, b) => b[1] - a[1]);
  for (const [l, n] of sorted.slice(0, 20)) console.log(`  ${label} (×${n}): ${l}`);
  if (sorted.length > 20) console.log(`  … and ${sorted.length - 20} more distinct ${label}s`);
}
printDistinct("escape", escapes);
printDistinct("violation", violations);
process.exit(escapes.length + violations.length > 0 ? 1 : 0);
