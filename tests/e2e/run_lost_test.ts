// End to end, `foresight run` as a real process losing a role: a cache or client killed while
// the caches warm or the clients run, or a client stopped, and the run goes on and is ok
// without it; the origin killed, and every role is gone at once with an error naming it. Each
// fault lands in a phase the test pinned: cache 1 frozen (SIGSTOP) once the warm-up began keeps
// the run warming, client 3 frozen from the warm-up on keeps it running. (Registering and
// stopping: tests/e2e/phase_faults_test.ts, with the role commands.)
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CANONICAL, type Scenario } from "../../core/scenario.ts";
import type { RunReport } from "../../roles/report.ts";
import { alive, cleanup, rolePid, type Run, startRun, waitForChildren } from "./cli_run.ts";
import { freeze, thaw } from "./roles.ts";

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
/** Starts `foresight run` on the scenario at `scale`, with the roles' info logs (JSON). */
function startAt(scale: number, more: string[]): Run {
  const s = { ...SCENARIO, scale };
  return startRun([
    ...["--files", s.files, "--requests", s.requests, "--capacity-kib", s.capacityKiB].map(String),
    ...["--seed", s.seed, "--scale", s.scale].map(String),
    ...["--log-level", "info"],
    ...more,
  ]);
}

/** The origin's log record `msg` (relayed by the run). */
const originSays = (run: Run, msg: string) =>
  run.waitFor((r) => r.role === "data" && r.msg === msg, `the origin's "${msg}"`);

/**
 * Waits for the warm-up, freezes client 3 (it has fetched nothing: the run cannot end),
 * then for the start of the clients. Returns the run's children and client 3's pid.
 */
async function pinRunning(run: Run): Promise<{ pids: number[]; pinned: number }> {
  const pids = await waitForChildren(run.proc.pid!, PROCESSES);
  assert.equal(pids.length, PROCESSES, "every role is a child process of the run");
  await originSays(run, "warming caches");
  const pinned = rolePid(run.proc.pid!, "client", 3);
  await freeze(pinned);
  await originSays(run, "all caches warm: starting clients");
  return { pids, pinned };
}

/** Every surviving client verified every file; the lost role is marked with its signal. */
function assertLostOne(
  r: RunReport,
  role: "cache" | "client",
  index: number,
  signal: string,
  phase = "running",
) {
  assert.deepEqual(r.errors, []);
  assert.equal(r.ok, true);
  const lost = r.processes.filter((p) => p.lost);
  assert.deepEqual(lost.map((p) => `${p.role} ${p.index}`), [`${role} ${index}`]);
  const p = lost[0]!;
  assert.equal(p.signal, signal);
  assert.equal(p.exitCode, null);
  // The origin says in which phase it dropped the role.
  assert.equal(p.lost!.phase, phase);
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

describe("foresight run losing a role", () => {
  it("a cache killed (SIGKILL) while running: the run goes on, the report is ok and marks it lost", async () => {
    // Scale 1: the origin serves the lost cache's files itself, slower than the cache would.
    const dir = mkdtempSync(join(tmpdir(), "foresight-lost-"));
    const run = startAt(1, ["--json", "--report", dir]);
    try {
      const { pinned } = await pinRunning(run);
      const cache = rolePid(run.proc.pid!, "cache", 0);
      process.kill(cache, "SIGKILL");
      await originSays(run, "cache lost; its clients fall back to the origin");
      await thaw(pinned);
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
      // Client 1 stopped once the clients start: it cannot have finished, and the run
      // cannot end without it until the origin drops it.
      await waitForChildren(run.proc.pid!, PROCESSES);
      await originSays(run, "all caches warm: starting clients");
      stopped = rolePid(run.proc.pid!, "client", 1);
      await freeze(stopped);
      await run.waitFor(
        (r) => r.role === "run" && r.msg === "stopping client 1 (SIGKILL)",
        "the run killing the stopped client",
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
        /\n {2}lost: client 1 \(SIGKILL, lost while running\): .*nothing received for 1500 ms/,
      );
      const dropped = await run.waitFor(
        (r) => r.role === "run" && r.msg === "the origin dropped client 1 while running",
        "the drop",
        0,
      );
      assert.match(dropped.reason, /nothing received for 1500 ms/);
    } finally {
      if (stopped !== undefined && alive(stopped)) process.kill(stopped, "SIGCONT");
      await cleanup(run);
    }
  });

  for (const target of ["cache", "client"] as const) {
    it(`a ${target} killed while the caches warm: the run goes on, the report marks it lost while warming`, async () => {
      // Scale 0.5: cache 1's own warm-up takes at least a second of paced pushes, so it is
      // frozen before it can confirm it, and the run stays warming until the test thaws it.
      const run = startAt(0.5, ["--json"]);
      try {
        await waitForChildren(run.proc.pid!, PROCESSES);
        await originSays(run, "warming caches");
        const pinned = rolePid(run.proc.pid!, "cache", 1);
        await freeze(pinned);
        const victim = target === "cache"
          ? rolePid(run.proc.pid!, "cache", 0)
          : rolePid(run.proc.pid!, "client", 1);
        process.kill(victim, "SIGKILL");
        await originSays(
          run,
          target === "cache"
            ? "cache lost; its clients fall back to the origin"
            : "client lost; releasing its demand",
        );
        await thaw(pinned);
        const exit = await run.done;
        assert.equal(exit.code, 0, run.stderr().slice(-3000));
        const r = JSON.parse(run.stdout().trim().split("\n").at(-1)!) as RunReport;
        assertLostOne(r, target, target === "cache" ? 0 : 1, "SIGKILL", "warming");
      } finally {
        await cleanup(run);
      }
    });
  }

  it("the origin killed while running: every role gone at once, a non-zero exit naming the origin", async () => {
    const run = startAt(SCENARIO.scale, ["--json"]);
    try {
      const pids = await waitForChildren(run.proc.pid!, PROCESSES);
      await originSays(run, "all caches warm: starting clients");
      const origin = rolePid(run.proc.pid!, "data");
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
