// End to end, `foresight run` as a real process: SIGINT or SIGTERM mid-run stops every role
// and still reports what was done; a run without --secret makes its own, so a stranger who
// connects to the origin cannot take a place in it.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { STOP_GRACE_MS } from "../../roles/run.ts";
import type { RunReport } from "../../report/run_report.ts";
import { runClient } from "../../live/client.ts";
import { nodeAdapter } from "../../net/node.ts";
import { silentLogger } from "../../core/run/log.ts";
import { alive, childPids, cleanup, type Rec, startRun, waitForChildren } from "./cli_run.ts";

/** 4 clients × 60 files at scale 0.3: about 10 wall seconds of running after the warm-up. */
const SLOW = [
  "--files",
  "300",
  "--requests",
  "60",
  "--capacity-kib",
  "600",
  "--scale",
  "0.3",
  "--seed",
  "2",
];
const PROCESSES = 1 + 2 + 4;
const TOTAL = 4 * 60;

/** A report of a run interrupted by `signal`: partial counts, no ratio, every process stopped. */
function assertInterrupted(r: RunReport, signal: string, at: Rec): void {
  assert.equal(r.interrupted, signal);
  assert.equal(r.ok, false);
  assert.ok(r.errors.includes(`interrupted by ${signal}`), r.errors.join("; "));
  assert.equal(r.clients.length, 4, "every client's line, from its latest stats");
  // As of each client's latest stats event (one every 100 ms).
  const verified = r.clients.reduce((a, c) => a + c.verified, 0);
  assert.ok(
    verified > 0 && verified < TOTAL,
    `verified ${verified} of ${TOTAL}, ${at.filesDone} done at the last progress line`,
  );
  for (const c of r.clients) {
    assert.equal(c.corrupt, 0);
    assert.ok(c.verified <= 60 && c.files >= c.verified);
  }
  assert.ok(r.clients.some((c) => c.partial === true), "lines marked partial");
  assert.equal(r.caches.length, 2);
  assert.ok(r.links.originToCache > 0 && r.wallSeconds > 0);
  assert.equal(r.processes.length, PROCESSES);
  // The bound, if it was known by then, but no ratio: the run has no makespan.
  if (r.lowerBound) {
    assert.equal(r.lowerBound.ratio, null);
    assert.equal(r.lowerBound.noRatio, `the run was interrupted by ${signal}`);
  }
  for (const p of r.processes) {
    assert.notEqual(p.exitCode, 0, `${p.role} ${p.index} ran to its end`);
  }
}

describe("foresight run interrupted", () => {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    const code = signal === "SIGINT" ? 130 : 143;
    const json = signal === "SIGINT";
    it(
      `${signal} mid-run: every role stopped, a partial report (${
        json ? "--json" : "text"
      } and --report files), exit ${code}`,
      async () => {
        const dir = mkdtempSync(join(tmpdir(), "foresight-signal-"));
        const run = startRun([...SLOW, "--report", dir, ...(json ? ["--json"] : [])]);
        try {
          // Progress lines (JSON records every 5 s) until some, not all, files are done.
          const at = await run.waitFor(
            (r) => r.msg === "progress" && r.filesDone > 0,
            "progress with files done",
          );
          assert.ok(at.filesDone < at.filesTotal, `already done: ${JSON.stringify(at)}`);
          const pids = await waitForChildren(run.proc.pid!, PROCESSES);
          assert.equal(pids.length, PROCESSES, "every role is a child process of the run");
          assert.ok(pids.every(alive));

          // With SIGTERM, one role is frozen first (SIGSTOP): deaf to SIGTERM, it must get SIGKILL.
          const frozen = signal === "SIGTERM" ? pids.at(-1)! : undefined;
          if (frozen !== undefined) process.kill(frozen, "SIGSTOP");
          const sent = performance.now();
          run.proc.kill(signal);
          const exit = await run.done;
          const tookMs = performance.now() - sent;
          assert.equal(exit.code, code, run.stderr().slice(-3000));
          assert.ok(tookMs < 10_000, `stopped in ${tookMs.toFixed(0)} ms`);
          if (frozen !== undefined) {
            assert.ok(tookMs >= STOP_GRACE_MS - 100, `SIGKILL after ${tookMs.toFixed(0)} ms`);
          }

          // Nothing left running: neither what /proc showed nor what the report names.
          const report = JSON.parse(readFileSync(join(dir, "report.json"), "utf8")) as RunReport;
          assert.deepEqual(report.processes.map((p) => p.pid).sort((a, b) => a! - b!), pids);
          for (const pid of pids) assert.equal(alive(pid), false, `process ${pid} still runs`);
          assert.deepEqual(childPids(run.proc.pid!), []);
          for (const p of report.processes) {
            assert.equal(
              p.signal,
              p.pid === frozen ? "SIGKILL" : "SIGTERM",
              `${p.role} ${p.index}`,
            );
          }

          // The report: interrupted, partial counts, every process stopped by the run.
          const printed = json
            ? JSON.parse(run.stdout().trim().split("\n").at(-1)!) as RunReport
            : undefined;
          for (const r of printed ? [report, printed] : [report]) {
            assertInterrupted(r, signal, at);
          }
          if (printed) assert.deepEqual(printed.clients, report.clients);
          else assert.match(run.stdout(), new RegExp(`: INTERRUPTED \\(${signal}\\)\\n`));
          const md = readFileSync(join(dir, "report.md"), "utf8");
          assert.match(md, new RegExp(`^# Foresight run — INTERRUPTED \\(${signal}\\)`));
          assert.match(md, /_partial_/);
          assert.doesNotMatch(md, /\| makespan ÷ lower bound \| \d/, "no ratio claimed");
          if (report.lowerBound) {
            assert.match(
              md,
              /\| makespan ÷ lower bound \| not meaningful: the run was interrupted/,
            );
          }
          for (const svg of ["links.svg", "caches.svg", "clients.svg"]) {
            assert.ok(existsSync(join(dir, svg)), svg);
          }
        } finally {
          await cleanup(run);
          rmSync(dir, { recursive: true, force: true });
        }
      },
    );
  }
});

describe("foresight run without --secret", () => {
  it("makes a secret of its own: a stranger cannot join, the admin API wants it, the run completes", async () => {
    const run = startRun([
      "--json",
      "--log-level",
      "info",
      "--admin-port",
      "0",
      ...SLOW.slice(0, 4),
      "--capacity-kib",
      "2000",
      "--scale",
      "1",
      "--seed",
      "3",
    ]);
    try {
      const { port } = await run.waitFor(
        (r) => r.role === "run" && r.msg === "origin listening",
        "the origin's address",
      );
      // Strangers at once, before the clients: one without a secret, one guessing.
      const stranger = (secret?: string) =>
        runClient({
          adapter: nodeAdapter,
          origin: { host: "127.0.0.1", port },
          index: 0,
          log: silentLogger,
          secret,
          connectDeadlineMs: 5000,
        });
      const strangers = Promise.all([stranger(), stranger("guess")]);

      // Each role got the same random secret in its environment, none on its command line.
      const pids = await waitForChildren(run.proc.pid!, PROCESSES);
      assert.equal(pids.length, PROCESSES);
      const secrets = pids.map((pid) => {
        const env = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
        const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8");
        assert.doesNotMatch(argv, /secret/);
        return env.find((e) => e.startsWith("FORESIGHT_SECRET="))?.slice(17);
      });
      const secret = secrets[0]!;
      assert.match(secret ?? "", /^[0-9a-f]{64}$/);
      assert.deepEqual(secrets, pids.map(() => secret));

      // The origin's admin API: /health for anyone, /stats only with the secret.
      const admin = await run.waitFor(
        (r) => r.msg === "admin API" && r.role === "origin",
        "the origin's admin port",
      );
      const url = `http://127.0.0.1:${admin.port}`;
      assert.equal((await fetch(`${url}/health`)).status, 200);
      assert.equal((await fetch(`${url}/stats`)).status, 401);
      const stats = await fetch(`${url}/stats`, { headers: { authorization: `Bearer ${secret}` } });
      assert.equal(stats.status, 200);
      assert.equal(typeof (await stats.json()).bytesToCaches, "number");

      const [none, guess] = await strangers;
      assert.equal(none.ok, false);
      assert.match(none.error ?? "", /requires a shared secret/);
      assert.equal(guess.ok, false);
      assert.match(guess.error ?? "", /wrong secret/);

      const exit = await run.done;
      assert.equal(exit.code, 0, run.stderr().slice(-3000));
      const report = JSON.parse(run.stdout().trim().split("\n").at(-1)!) as RunReport;
      assert.equal(report.ok, true, report.errors.join("; "));
      assert.deepEqual(report.clients.map((c) => c.verified), [60, 60, 60, 60]);
      assert.equal(report.interrupted, undefined);
      assert.equal(run.stdout().includes(secret), false, "the secret is not printed");
      assert.equal(run.stderr().includes(secret), false, "the secret is not logged");
    } finally {
      await cleanup(run);
    }
  });
});
