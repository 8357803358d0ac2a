/**
 * Across hosts: the scenario in the simulator, then live with every role in a
 * network namespace of its own (tests/e2e/netns.ts), once with links shaped
 * by the roles' pacers and once by the kernel (`tc` HTB per peer, roles with
 * `--shaping none`), and with `--skew MS` again with the clocks of cache 0
 * and of the clients moved by ±MS (`--clock-offset-ms`). Prints the makespan
 * of each and its ratio to the simulator's: the kernel-shaped run is the
 * independent check of the pacer's model of a link.
 *
 *   npm run build && npx bun bench/hosts.ts --scale 20                # canonical
 *   npx bun bench/hosts.ts --files 2000 --requests 200 --skew 10000   # smaller, clocks ±10 s
 *
 * Flags: the scenario flags of `foresight run`, --modes (comma list of pacer,
 * kernel; default both), --skew MS, --timeout S (per run, default 3600).
 * Needs root and iproute2; says why and exits 2 otherwise. Every namespace,
 * link, qdisc and process it made is removed on exit, on an error and on
 * SIGINT/SIGTERM; a crashed run's leftovers are removed by the next one.
 *
 * @module
 */

import process from "node:process";
import { parseArgs } from "node:util";
import { scenarioFlags, scenarioFrom } from "../roles/common.ts";
import { simulate } from "../sim/simulator.ts";
import { createHosts, type Hosts, hostsUnsupported } from "../tests/e2e/netns.ts";
import { hostsFor, type HostShaping, runOnHosts } from "../tests/e2e/hosts_cluster.ts";
import { killStragglers } from "../tests/e2e/roles.ts";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    ...scenarioFlags,
    modes: { type: "string", default: "pacer,kernel" },
    skew: { type: "string" },
    timeout: { type: "string", default: "3600" },
  },
});

const why = hostsUnsupported();
if (why !== undefined) {
  console.error(`bench/hosts.ts: cannot run: ${why}`);
  process.exit(2);
}

let net: Hosts | undefined;
const cleanUp = () => {
  killStragglers();
  net?.teardown();
};
process.on("exit", cleanUp);
for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
  process.on(signal, () => {
    console.error(`bench/hosts.ts: ${signal}: removing the hosts`);
    cleanUp();
    process.exit(code);
  });
}

const scenario = scenarioFrom(values);
const modes = String(values.modes).split(",") as HostShaping[];
const skew = values.skew === undefined ? undefined : Number(values.skew);
const sim = simulate(scenario).makespan;
console.log(
  `scenario: ${scenario.caches} caches × ${scenario.clients} clients, ${scenario.files} files / ` +
    `${scenario.requests} requests, ${scenario.capacityKiB} KiB, seed ${scenario.seed}, ` +
    `${scenario.policy}, scale ${scenario.scale}; ${hostsFor(scenario)} namespaces`,
);
console.log("links shaped by           clocks    sim s    live s   live/sim  wall s  ok");
const line = (what: string, clocks: string, s: number, wall: string, ok: string) =>
  console.log(
    `${what.padEnd(24)}  ${clocks.padEnd(8)}  ${sim.toFixed(1).padStart(7)}  ${
      s.toFixed(1).padStart(7)
    }  ${(s / sim).toFixed(4).padStart(8)}  ${wall.padStart(6)}  ${ok}`,
  );
line("simulator", "—", sim, "—", "—");

let bad = 0;
const runs: { shaping: HostShaping; skew: number }[] = modes.flatMap((m) => [
  { shaping: m, skew: 0 },
  ...(skew ? [{ shaping: m, skew }] : []),
]);
for (const { shaping, skew } of runs) {
  // Cache 0 ahead, cache 1 exact; clients alternately behind and ahead.
  const clockOffsets = {
    caches: [skew],
    clients: Array.from({ length: scenario.clients }, (_, j) => (j % 2 === 0 ? -skew : skew)),
  };
  net = createHosts(hostsFor(scenario));
  try {
    const run = await runOnHosts(net, scenario, {
      shaping,
      clockOffsets,
      timeoutMs: Number(values.timeout) * 1000,
      logLevel: "error",
    });
    if (!run.ok) {
      bad++;
      console.error(run.story());
    }
    const what = shaping === "kernel" ? "kernel (tc HTB)" : "pacer";
    line(
      what,
      skew ? `±${skew / 1000} s` : "same",
      run.simSeconds,
      run.wallSeconds.toFixed(1),
      String(run.ok),
    );
  } finally {
    net.teardown();
    net = undefined;
  }
}
process.exit(bad > 0 ? 1 : 0);
