// End to end, `foresight run` as a real process losing a role: a cache or client killed while
// the caches warm or the clients run, or a client stopped, and the run goes on and is ok
// without it; the origin killed, and every role is gone at once with an error naming it. Each
// fault lands in a phase the test pinned: cache 1 frozen (SIGSTOP) once the warm-up began keeps
// the run warming, client 3 frozen from the warm-up on keeps it running. (Registering and
// stopping: tests/e2e/phase_faults_test.ts, with the role commands.)
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CANONICAL, type Scenario } from "../../core/run/scenario.ts";
import type { RunReport } from "../../report/run_report.ts";
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
  run.waitFor((r) => r.role === "origin" && r.msg === msg, `the origin's "${msg}"`);

/** How many TCP sockets process `pid` has open (its socket fds found in /proc/net/tcp{,6}). */
function tcpSockets(pid: number): number {
  const tcp = new Set<string>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    // "sl local rem st tx:rx tr:when retrnsmt uid timeout inode …": the inode is field 9.
    for (const line of readFileSync(table, "utf8").split("\n").slice(1)) {
      const inode = line.trim().split(/\s+/)[9];
      if (inode !== undefined) tcp.add(inode);
    }
  }
  return readdirSync(`/proc/${pid}/fd`).filter((fd) => {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      return m !== null && tcp.has(m[1]!); // (stdio pipes are Unix sockets: not counted)
    } catch {
      return false; // closed meanwhile
    }
  }).length;
}

/**
 * Starts a run and freezes cache 1 the moment its process exists. When it has opened no TCP
 * socket yet, it cannot register, so no client learns the caches or sends its list, and the
 * run stays registering until the test thaws it: returns the run and the pid. When it was
 * faster than that (it had connected already), that run is dropped and another started,
 * three times at most.
 */
async function pinRegistering(start: () => Run): Promise<{ run: Run; pinned: number }> {
  for (let attempt = 1;; attempt++) {
    const run = start();
    const end = Date.now() + 20_000;
    let pid: number | undefined;
    while (pid === undefined) {
      try {
        pid = rolePid(run.proc.pid!, "cache", 1);
      } catch {
        if (Date.now() > end) throw new Error("cache 1 did not start within 20 s");
        await new Promise((r) => setTimeout(r, 2));
      }
    }
    await freeze(pid);
    if (tcpSockets(pid) === 0) return { run, pinned: pid };
    await cleanup(run);
    assert.ok(attempt < 3, "cache 1 had connected before it could be frozen, three times");
  }
}

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

  for (const target of ["cache", "client"] as const) {
    it(`a ${target} killed while the run registers: the run goes on, the report marks it lost while registering`, async () => {
      const { run, pinned } = await pinRegistering(() => startAt(4, ["--json"]));
      try {
        // The victim has registered (its own log says so); cache 1 has not, so neither has
        // any client's list come in.
        const index = target === "cache" ? 0 : 2;
        await run.waitFor(
          (r) => r.role === target && r.index === index && r.msg === "registered with origin",
          `${target} ${index} registered`,
        );
        process.kill(rolePid(run.proc.pid!, target, index), "SIGKILL");
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
        assertLostOne(r, target, index, "SIGKILL", "registering");
      } finally {
        await cleanup(run);
      }
    });
  }

  it("a client killed once the origin has its done: nothing is lost, the report is ok", async () => {
    const run = startAt(4, ["--json"]);
    try {
      const done = await originSays(run, "client done");
      const pid = rolePid(run.proc.pid!, "client", done.client);
      process.kill(pid, "SIGKILL");
      const exit = await run.done;
      assert.equal(exit.code, 0, run.stderr().slice(-3000));
      const r = JSON.parse(run.stdout().trim().split("\n").at(-1)!) as RunReport;
      assert.equal(r.ok, true, r.errors.join("; "));
      const killed = r.processes.find((p) => p.role === "client" && p.index === done.client)!;
      assert.equal(killed.signal, "SIGKILL");
      assert.equal(killed.lost?.phase, undefined, "the origin lost nobody: it had its done");
      for (const c of r.clients) {
        if (c.index !== done.client) assert.equal(c.verified, SCENARIO.requests);
      }
    } finally {
      await cleanup(run);
    }
  });

  it("a cache killed once the origin said stop: nothing is lost, the report is ok", async () => {
    const run = startAt(4, ["--json"]);
    try {
      // Its pid while it surely runs (registered, the run not over): once it
      // heard the stop it may exit at any moment.
      await run.waitFor(
        (r) => r.role === "cache" && r.index === 0 && r.msg === "registered with origin",
        "cache 0 registered",
      );
      const pid = rolePid(run.proc.pid!, "cache", 0);
      await run.waitFor(
        (r) => r.role === "cache" && r.index === 0 && r.msg === "origin says stop",
        "the stop at cache 0",
      );
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // It has exited already (ESRCH): nothing to kill.
      }
      const exit = await run.done;
      assert.equal(exit.code, 0, run.stderr().slice(-3000));
      const r = JSON.parse(run.stdout().trim().split("\n").at(-1)!) as RunReport;
      assert.equal(r.ok, true, r.errors.join("; "));
      const cache = r.processes.find((p) => p.role === "cache" && p.index === 0)!;
      assert.equal(cache.lost?.phase, undefined, "the origin lost nobody after its stop");
      for (const c of r.clients) assert.equal(c.verified, SCENARIO.requests);
    } finally {
      await cleanup(run);
    }
  });

  it("the origin killed while running: every role gone at once, a non-zero exit naming the origin", async () => {
    const run = startAt(SCENARIO.scale, ["--json"]);
    try {
      const pids = await waitForChildren(run.proc.pid!, PROCESSES);
      await originSays(run, "all caches warm: starting clients");
      const origin = rolePid(run.proc.pid!, "origin");
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
      assert.equal(r.processes.find((p) => p.role === "origin")!.signal, "SIGKILL");
    } finally {
      await cleanup(run);
    }
  });
});
