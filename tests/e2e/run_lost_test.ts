// End to end, `foresight run` as a real process losing a role while the run is running:
// a cache killed or a client stopped, and the run goes on and is ok without it; the origin
// killed, and every role is gone at once with an error naming it. Each fault lands once the
// origin's /health says running, while the shaped links still hold the run for seconds.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CANONICAL, type Scenario } from "../../core/scenario.ts";
import { scenarioBound } from "../../sim/lower_bound.ts";
import type { RunReport } from "../../roles/report.ts";
import {
  alive,
  cleanup,
  rolePid,
  type Run,
  startRun,
  waitForChildren,
  waitForPhase,
} from "./cli_run.ts";

/** 4 clients × 50 of 400 files; the scale sets how long the run takes. */
const SCENARIO: Scenario = {
  ...CANONICAL,
  files: 400,
  requests: 50,
  capacityKiB: 1000,
  seed: 2,
  scale: 0.7,
};
const PROCESSES = 1 + SCENARIO.caches + SCENARIO.clients;
/** How much of the running phase must be left when a fault lands. */
const MARGIN_MS = 3000;

/**
 * The least wall time the running phase takes at `scale`: links are paced,
 * so no run beats the lower bound on the simulated makespan (3.8 s here)
 * divided by the scale, whatever the machine.
 */
const minRunningMs = (scale: number) => scenarioBound(SCENARIO).seconds / scale * 1000;

/** Starts `foresight run` on the scenario at `scale`, the origin's admin port printed. */
function startAt(scale: number, more: string[]): Run {
  const s = { ...SCENARIO, scale };
  return startRun([
    ...["--files", s.files, "--requests", s.requests, "--capacity-kib", s.capacityKiB].map(String),
    ...["--seed", s.seed, "--scale", s.scale].map(String),
    // The origin's admin port (for /health) is printed at info.
    ...["--admin-port", "0", "--log-level", "info"],
    ...more,
  ]);
}

/** Waits for the running phase and every role process; returns the run's children. */
async function running(run: Run): Promise<{ pids: number[]; since: number }> {
  await waitForPhase(run, "running");
  const since = performance.now();
  const pids = await waitForChildren(run.proc.pid!, PROCESSES);
  assert.equal(pids.length, PROCESSES, "every role is a child process of the run");
  return { pids, since };
}

/**
 * Asserts that the run at `scale` is still far from its end: the fault lands
 * mid-run, and what follows it (`also` ms) too.
 */
function midRun(scale: number, since: number, also = 0): void {
  const left = minRunningMs(scale) - (performance.now() - since) - also;
  assert.ok(left > MARGIN_MS, `only ${left.toFixed(0)} ms of running left at the fault`);
}

/** Every surviving client verified every file; the lost role is marked with its signal. */
function assertLostOne(r: RunReport, role: "cache" | "client", index: number, signal: string) {
  assert.deepEqual(r.errors, []);
  assert.equal(r.ok, true);
  const lost = r.processes.filter((p) => p.lost);
  assert.deepEqual(lost.map((p) => `${p.role} ${p.index}`), [`${role} ${index}`]);
  const p = lost[0]!;
  assert.equal(p.signal, signal);
  assert.equal(p.exitCode, null);
  // The origin says in which phase it dropped the role, when it says it at all.
  if (p.lost!.phase !== undefined) assert.equal(p.lost!.phase, "running");
  for (const q of r.processes) if (!q.lost) assert.equal(q.exitCode, 0, `${q.role} ${q.index}`);
  const lines = role === "client" ? r.clients : r.caches;
  const line = lines.find((l) => l.index === index);
  if (line) assert.equal(line.lost, true);
  const surviving = r.clients.filter((c) => !(role === "client" && c.index === index));
  assert.equal(surviving.length, SCENARIO.clients - (role === "client" ? 1 : 0));
  for (const c of surviving) {
    assert.equal(c.verified, SCENARIO.requests, `client ${c.index} verified`);
    assert.equal(c.corrupt, 0);
    assert.equal(c.lost, undefined);
  }
}

describe("foresight run losing a role mid-run", () => {
  it("a cache killed (SIGKILL) while running: the run goes on, the report is ok and marks it lost", async () => {
    // Scale 1: the origin serves the lost cache's files itself, slower than the cache would.
    const dir = mkdtempSync(join(tmpdir(), "foresight-lost-"));
    const run = startAt(1, ["--json", "--report", dir]);
    try {
      const { since } = await running(run);
      const cache = rolePid(run.proc.pid!, "cache", 0);
      midRun(1, since);
      process.kill(cache, "SIGKILL");
      const exit = await run.done;
      assert.equal(exit.code, 0, run.stderr().slice(-3000));
      const printed = JSON.parse(run.stdout().trim().split("\n").at(-1)!) as RunReport;
      const written = JSON.parse(readFileSync(join(dir, "report.json"), "utf8")) as RunReport;
      for (const r of [printed, written]) assertLostOne(r, "cache", 0, "SIGKILL");
      assert.equal(printed.processes.find((p) => p.lost)!.pid, cache);
      const md = readFileSync(join(dir, "report.md"), "utf8");
      assert.match(md, /^# Foresight run — OK/);
      assert.match(md, /## Lost roles\n\n.*\n\n- cache 0 \(SIGKILL[,)]/);
    } finally {
      await cleanup(run);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a client stopped (SIGSTOP) while running: dropped at the idle limit, killed by the run, the others finish", async () => {
    const idleMs = 1500;
    const run = startAt(SCENARIO.scale, ["--idle-ms", String(idleMs)]);
    let stopped: number | undefined;
    try {
      const { since } = await running(run);
      stopped = rolePid(run.proc.pid!, "client", 1);
      // Dropped after the idle limit, killed after the run's grace: both before the end.
      midRun(SCENARIO.scale, since, idleMs);
      process.kill(stopped, "SIGSTOP");
      await run.waitFor(
        (r) => r.role === "run" && r.msg === "stopping client 1 (SIGKILL)",
        "the run killing the stopped client",
        minRunningMs(SCENARIO.scale),
      );
      const exit = await run.done;
      assert.equal(exit.code, 0, run.stderr().slice(-3000));
      assert.equal(alive(stopped), false);
      // The terminal report (text): OK, the client's line and the lost line.
      const text = run.stdout().slice(run.stdout().indexOf("Foresight run —"));
      assert.ok(
        text.startsWith(`Foresight run — policy foresight, seed 2, scale ${SCENARIO.scale}: OK\n`),
        text,
      );
      assert.match(text, /\n {7}1 .* lost\n/);
      assert.match(
        text,
        /\n {2}lost: client 1 \(SIGKILL(, lost while running)?\): .*nothing received for 1500 ms/,
      );
      const dropped = await run.waitFor(
        (r) => r.role === "run" && r.msg === "the origin dropped client 1",
        "the drop",
        0,
      );
      assert.match(dropped.reason, /nothing received for 1500 ms/);
    } finally {
      if (stopped !== undefined && alive(stopped)) process.kill(stopped, "SIGCONT");
      await cleanup(run);
    }
  });

  it("the origin killed while running: every role gone at once, a non-zero exit naming the origin", async () => {
    const run = startAt(SCENARIO.scale, ["--json"]);
    try {
      const { pids, since } = await running(run);
      const origin = rolePid(run.proc.pid!, "data");
      midRun(SCENARIO.scale, since);
      const sent = performance.now();
      process.kill(origin, "SIGKILL");
      const exit = await run.done;
      const tookMs = performance.now() - sent;
      assert.equal(exit.code, 1, run.stderr().slice(-3000));
      assert.ok(tookMs < 5000, `the run ended ${tookMs.toFixed(0)} ms after the origin`);
      for (const pid of pids) assert.equal(alive(pid), false, `process ${pid} still runs`);
      const message = "the origin exited on SIGKILL: the run cannot go on without it";
      const told = await run.waitFor((r) => r.role === "run" && r.msg === message, "the error", 0);
      assert.equal(told.level, "error");
      const r = JSON.parse(run.stdout().trim().split("\n").at(-1)!) as RunReport;
      assert.equal(r.ok, false);
      assert.equal(r.errors[0], message);
      assert.deepEqual(r.processes.filter((p) => p.lost), [], "the origin is no lost role");
      assert.equal(r.processes.find((p) => p.role === "data")!.signal, "SIGKILL");
    } finally {
      await cleanup(run);
    }
  });
});
