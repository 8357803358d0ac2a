/**
 * Faults, repeated: every role a real process; in each run one role is
 * killed (SIGKILL) mid-run or started late, and the table says what the
 * survivors made of it: files lost (a surviving client without all its
 * files) and files corrupt (a byte that failed verification).
 *
 *   npm run build && npx bun bench/faults.ts [--runs 5]
 *
 * Exits 1 on any loss or corruption, or a survivor that did not exit 0.
 *
 * @module
 */

import process from "node:process";
import { parseArgs } from "node:util";
import { type ChildProcess, spawn } from "node:child_process";
import { packageRoot, roleCommand } from "../roles/run.ts";

type Event = Record<string, any>;
interface Proc {
  role: string;
  index: number;
  child: ChildProcess;
  events: Event[];
  exit: Promise<number | string | null>;
}

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: { runs: { type: "string", default: "5" } },
});
const runs = Number(values.runs);
const root = packageRoot();
const SCENARIO = ["--files", "400", "--requests", "50", "--capacity-kib", "3000"];

function start(role: "data" | "cache" | "client", index: number, args: string[]): Proc {
  const [cmd, ...rest] = roleCommand(root, "node", role);
  const child = spawn(cmd!, [...rest, ...args, "--log-level", "error"], {
    stdio: ["ignore", "pipe", "ignore"],
  });
  const events: Event[] = [];
  let buf = "";
  child.stdout!.setEncoding("utf8");
  child.stdout!.on("data", (d: string) => {
    buf += d;
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      try {
        events.push(JSON.parse(buf.slice(0, nl)));
      } catch { /* not an event */ }
      buf = buf.slice(nl + 1);
    }
  });
  const exit = new Promise<number | string | null>((resolve) =>
    child.on("exit", (c, s) => resolve(c ?? s))
  );
  return { role, index, child, events, exit };
}

async function until(p: Proc, match: (e: Event) => boolean, ms = 30_000): Promise<boolean> {
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    if (p.events.some(match)) return true;
    await new Promise((r) => setTimeout(r, 5));
  }
  return false;
}

type Fault = "cache killed" | "client killed" | "origin started last";

async function once(fault: Fault, policy: string, seed: number) {
  const flags = [...SCENARIO, "--seed", String(seed), "--policy", policy, "--scale", "20"];
  let origin: Proc | undefined;
  let at: string;
  if (fault === "origin started last") {
    const probe = start("data", 0, [...flags, "--listen", "127.0.0.1:0"]);
    await until(probe, (e) => e.event === "listening");
    at = `127.0.0.1:${probe.events.find((e) => e.event === "listening")!.port}`;
    probe.child.kill("SIGKILL");
    await probe.exit;
  } else {
    origin = start("data", 0, [...flags, "--listen", "127.0.0.1:0"]);
    await until(origin, (e) => e.event === "listening");
    at = `127.0.0.1:${origin.events.find((e) => e.event === "listening")!.port}`;
  }
  const caches = [0, 1].map((i) => start("cache", i, ["--origin", at, "--index", String(i)]));
  const clients = [0, 1, 2, 3].map((i) =>
    start("client", i, ["--origin", at, "--index", String(i)])
  );
  let victim: Proc | undefined;
  if (fault === "origin started last") {
    await new Promise((r) => setTimeout(r, 1000));
    origin = start("data", 0, [...flags, "--listen", at]);
  } else {
    victim = fault === "cache killed" ? caches[0]! : clients[1]!;
    await until(
      clients[fault === "cache killed" ? 0 : 1]!,
      (e) => e.event === "progress" && e.files >= 5,
    );
    victim.child.kill("SIGKILL");
  }
  const all = [origin!, ...caches, ...clients];
  const timer = setTimeout(() => all.forEach((p) => p.child.kill("SIGKILL")), 60_000);
  const codes = await Promise.all(all.map((p) => p.exit));
  clearTimeout(timer);
  let lost = 0;
  let corrupt = 0;
  let survivorsOk = true;
  all.forEach((p, i) => {
    if (p === victim) return;
    if (codes[i] !== 0) survivorsOk = false;
    if (p.role !== "client") return;
    const s = p.events.find((e) => e.event === "summary");
    lost += 50 - (s?.verified ?? 0);
    corrupt += s?.corrupt ?? 0;
  });
  return { lost, corrupt, survivorsOk };
}

console.log("fault                 policy     runs  files lost  files corrupt  outcome");
let bad = false;
for (const fault of ["cache killed", "client killed", "origin started last"] as Fault[]) {
  for (const policy of ["foresight", "seed"]) {
    let lost = 0, corrupt = 0, ok = 0;
    for (let r = 0; r < runs; r++) {
      const x = await once(fault, policy, r + 1);
      lost += x.lost;
      corrupt += x.corrupt;
      if (x.survivorsOk && x.lost === 0 && x.corrupt === 0) ok++;
    }
    if (ok < runs) bad = true;
    console.log(
      `${fault.padEnd(21)} ${policy.padEnd(9)}  ${String(runs).padStart(4)}  ${
        String(lost).padStart(10)
      }  ${String(corrupt).padStart(13)}  ${ok === runs ? "all completed" : `${runs - ok} failed`}`,
    );
  }
}
process.exit(bad ? 1 : 0);
