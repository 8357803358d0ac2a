// End to end: `foresight run --dashboard` watched in a real browser (Debian's
// chromium driven by playwright-core) during a small run; the report files of
// `run --report` and `sim --report`; the terminal progress and JSON logs.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { packageRoot } from "../../roles/run.ts";
import type { RunReport } from "../../report/run_report.ts";
import { assertBound } from "./bound_check.ts";

const CHROMIUM = "/usr/bin/chromium";
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
  "--disable-quic",
  "--disable-sync",
];
const root = packageRoot();
const artifacts = join(root, "test-artifacts");
const cli = join(root, "dist", "cli.js");
// A few seconds of run after the start (scale 4), four clients.
const SMALL = [
  "--files",
  "300",
  "--requests",
  "60",
  "--capacity-kib",
  "2000",
  "--scale",
  "4",
  "--seed",
  "2",
  "--policy",
  "seed",
];

/** Debian's chromium, installed when missing (CI machines start clean; tests run as root). */
function ensureChromium(): void {
  if (existsSync(CHROMIUM)) return;
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const install = () =>
    spawnSync("apt-get", ["install", "-y", "-qq", "chromium"], {
      env,
      stdio: "ignore",
      timeout: 600_000,
    });
  if (install().status !== 0) {
    spawnSync("apt-get", ["update", "-qq"], { env, stdio: "ignore", timeout: 300_000 });
    install();
  }
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Cannot test the dashboard: ${CHROMIUM} is missing and apt-get could not install it`,
    );
  }
}

/** Starts `foresight run` and resolves to the dashboard URL it prints on stderr. */
function startRun(
  args: string[],
): {
  proc: ChildProcess;
  url: Promise<string>;
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
} {
  const proc = spawn(process.execPath, [cli, "run", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "", stderr = "";
  proc.stdout!.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  const url = new Promise<string>((resolve, reject) => {
    proc.stderr!.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
      const m = /dashboard at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(stderr);
      if (m) resolve(m[1]!);
    });
    proc.on(
      "exit",
      () => reject(new Error(`the run exited before printing its dashboard URL:\n${stderr}`)),
    );
  });
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    proc.on("exit", (code) => resolve({ code, stdout, stderr }))
  );
  return { proc, url, done };
}

/** Records every value each bar shows, to see that it moved while the run went on. */
async function recordBarValues(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = window as unknown as { seen: string[] };
    w.seen = [];
    new MutationObserver((records) => {
      for (const r of records) {
        const v = (r.target as Element).getAttribute?.("aria-valuenow");
        if (v !== null && v !== undefined) w.seen.push(v);
      }
    }).observe(document, {
      attributes: true,
      subtree: true,
      attributeFilter: ["aria-valuenow"],
    });
  });
}

/** The page during the run and once it is done: bars, charts, hits, files; a screenshot. */
async function assertLivePage(page: Page): Promise<void> {
  assert.equal(await page.title(), "Foresight — live run");
  const bars = page.locator('[role="progressbar"]');
  await bars.nth(3).waitFor({ timeout: 30_000 });
  assert.equal(await bars.count(), 4, "one bar per client");
  await page.waitForFunction(
    () => document.getElementById("phase")?.textContent === "done",
    null,
    { timeout: 60_000 },
  );
  const values = await bars.evaluateAll((els) => els.map((e) => e.getAttribute("aria-valuenow")));
  assert.deepEqual(values, ["100.0", "100.0", "100.0", "100.0"], "every client reached 100 %");
  assert.deepEqual(
    await bars.evaluateAll((els) => els.map((e) => e.getAttribute("data-client"))),
    ["0", "1", "2", "3"],
  );
  const seen = await page.evaluate(() => (window as unknown as { seen: string[] }).seen);
  assert.ok(
    seen.some((v) => Number(v) > 0 && Number(v) < 100),
    `the bars moved through intermediate values: ${seen.slice(0, 20).join(", ")}`,
  );
  assert.equal(await page.locator("#chart-links svg path").count(), 3, "a line per link");
  assert.ok(await page.locator("#chart-caches svg path").count() >= 2, "a line per cache");
  assert.equal(await page.locator("#chart-clients svg path").count(), 4, "a line per client");
  assert.match(await page.locator("#hits").innerText(), /^\d+\.\d %$/);
  assert.match(await page.locator("#files").innerText(), /^240 \/ 240$/);
  assert.match(await page.locator("#footer").innerText(), /The run is over/);
  await page.waitForTimeout(400); // the bars' width transition
  const shot = join(artifacts, "dashboard.png");
  await page.screenshot({ path: shot, fullPage: true });
  assert.ok(statSync(shot).size > 20_000, "a screenshot with content");
}

type Bound = ReturnType<typeof assertBound>;

/** The page's final state shows the report's bound and ratio. */
async function assertFinalPage(page: Page, report: RunReport, bound: Bound): Promise<void> {
  assert.equal(await page.locator("#bound").innerText(), `${bound.seconds.toFixed(1)} s`);
  assert.equal(await page.locator("#bound-s").innerText(), "exact fluid LP");
  assert.equal(await page.locator("#ratio").innerText(), bound.ratio!.toFixed(3));
  assert.equal(
    await page.locator("#ratio-s").innerText(),
    `makespan ${report.simSeconds.toFixed(1)} s ÷ lower bound`,
  );
}

/** The report files of the same run: report.json, report.md and the three charts. */
function assertReportFiles(reportDir: string, report: RunReport, bound: Bound): void {
  const json = JSON.parse(readFileSync(join(reportDir, "report.json"), "utf8"));
  assert.equal(json.ok, true);
  assert.equal(json.clients.length, 4);
  assert.ok(json.timeline.samples.length > 5, "the time series is in report.json");
  assert.deepEqual(json.lowerBound, report.lowerBound, "report.json has the bound");
  const md = readFileSync(join(reportDir, "report.md"), "utf8");
  assert.match(md, /^# Foresight run — OK$/m);
  assert.ok(
    md.includes(`| lower bound | ${bound.seconds.toFixed(1)} s (exact fluid LP) |\n`),
    "report.md has the bound",
  );
  assert.ok(
    md.includes(`| makespan ÷ lower bound | ${bound.ratio!.toFixed(3)} |\n`),
    "report.md has makespan ÷ bound",
  );
  assert.match(md, /^\| client \| files \| verified \|/m);
  assert.match(md, /!\[Throughput per link\]\(links\.svg\)/);
  for (
    const [file, title] of [
      ["links.svg", "Throughput per link"],
      ["caches.svg", "Cache occupancy"],
      ["clients.svg", "Client completion"],
    ]
  ) {
    const svg = readFileSync(join(reportDir, file!), "utf8");
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.match(svg, new RegExp(title!));
    assert.ok((svg.match(/<path /g) ?? []).length >= 2, `${file} has lines`);
  }
}

/** Looks at the report's charts as a reader would (artifacts beside the screenshot). */
async function screenshotCharts(context: BrowserContext, reportDir: string): Promise<void> {
  const charts = await context.newPage();
  await charts.setViewportSize({ width: 760, height: 900 });
  await charts.setContent(
    ["links.svg", "caches.svg", "clients.svg"].map((f) => readFileSync(join(reportDir, f), "utf8"))
      .join("<br>"),
  );
  await charts.screenshot({ path: join(artifacts, "report-charts.png"), fullPage: true });
  await charts.close();
}

describe("foresight run --dashboard in a real browser", () => {
  let context: BrowserContext;
  let profile: string;
  before(async () => {
    ensureChromium();
    mkdirSync(artifacts, { recursive: true });
    profile = mkdtempSync(join(tmpdir(), "foresight-chromium-"));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: FLAGS,
      viewport: { width: 1280, height: 900 },
    });
  });
  after(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it("shows one bar per client reaching 100 %, live charts, and the final state", async () => {
    const reportDir = join(artifacts, "run-report");
    rmSync(reportDir, { recursive: true, force: true });
    const run = startRun(["--dashboard", "--json", "--report", reportDir, ...SMALL]);
    try {
      const url = await run.url;
      const page = context.pages()[0] ?? await context.newPage();
      await recordBarValues(page);
      await page.goto(url);
      await assertLivePage(page);
      const { code, stdout } = await run.done;
      assert.equal(code, 0);
      const report = JSON.parse(stdout.trim().split("\n").at(-1)!) as RunReport;
      assert.equal(report.ok, true);
      const bound = assertBound(report);
      assert.equal(bound.exact, true);
      await assertFinalPage(page, report, bound);
      assertReportFiles(reportDir, report, bound);
      await screenshotCharts(context, reportDir);
    } finally {
      run.proc.kill();
    }
  });
});

describe("reports, progress and logs", () => {
  const run = (args: string[], extra: { env?: Record<string, string> } = {}) =>
    spawnSync(process.execPath, [cli, ...args], {
      encoding: "utf8",
      timeout: 120_000,
      env: { ...process.env, ...extra.env },
    });

  it("foresight sim --report writes report.json, report.md and bar charts", () => {
    const dir = join(artifacts, "sim-report");
    rmSync(dir, { recursive: true, force: true });
    const out = run([
      "sim",
      "--report",
      dir,
      "--files",
      "200",
      "--requests",
      "30",
      "--clients",
      "3",
      "--capacity-kib",
      "400",
    ]);
    assert.equal(out.status, 0, out.stderr);
    assert.match(out.stderr, /report written to .*report\.md/);
    const json = JSON.parse(readFileSync(join(dir, "report.json"), "utf8"));
    assert.equal(json.clients.length, 3);
    assert.equal(typeof json.lowerBound.seconds, "number");
    const md = readFileSync(join(dir, "report.md"), "utf8");
    assert.match(md, /^# Foresight simulation — OK$/m);
    assert.match(md, /\| lower bound \|/);
    const clients = readFileSync(join(dir, "clients.svg"), "utf8");
    assert.equal((clients.match(/<rect x="\d+(\.\d+)?" y=/g) ?? []).length, 3, "a bar per client");
    for (const f of ["links.svg", "caches.svg"]) {
      assert.match(readFileSync(join(dir, f), "utf8"), /^<svg /);
    }
  });

  it("with --json and --log-format json, stdout is the report alone and stderr only JSON records", () => {
    const out = run([
      "run",
      "--json",
      "--log-format",
      "json",
      "--log-level",
      "info",
      ...SMALL,
      "--scale",
      "20",
    ]);
    assert.equal(out.status, 0, out.stderr);
    const lines = out.stdout.trim().split("\n");
    assert.equal(lines.length, 1, "one line on stdout");
    assert.equal(JSON.parse(lines[0]!).ok, true);
    const records = out.stderr.trim().split("\n").map((l) => JSON.parse(l));
    assert.ok(records.some((r) => r.msg === "progress" && r.role === "run"), "progress records");
    assert.ok(
      records.some((r) => r.role === "cache" && r.runtime === "node" && r.index === 1),
      "role records",
    );
    for (const r of records) assert.match(String(r.level), /^(debug|info|warn|error)$/);
  });

  it("in a terminal, progress bars per client and the link rates are redrawn in place", () => {
    // `script` gives the run a pseudo-terminal, as `npm start` in a terminal has.
    const cmd = [process.execPath, cli, "run", ...SMALL, "--scale", "20"].join(" ");
    const out = spawnSync("script", ["-qec", cmd, "/dev/null"], {
      encoding: "utf8",
      timeout: 120_000,
      env: { ...process.env, COLUMNS: "120" },
    });
    assert.equal(out.status, 0, out.stderr);
    assert.ok(
      out.stdout.includes("\x1b[") && /\[\d+A/.test(out.stdout),
      "the cursor moves up to redraw",
    );
    for (let c = 0; c < 4; c++) {
      assert.match(
        out.stdout,
        new RegExp(`client ${c} +\\[#+\\] +60/60 files`),
        `client ${c}'s bar`,
      );
    }
    assert.match(out.stdout, /links +origin → cache [\d.]+ \S+\/s/);
    assert.match(out.stdout, /cache +0 +\[[#.]+\]/);
    assert.match(out.stdout, /Foresight run — policy seed, seed 2, scale 20: OK/);
  });
});
