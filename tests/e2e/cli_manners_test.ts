// End to end: the CLI's manners through the real command — help, environment
// variables, config files, bad values, the shared secret.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { packageRoot } from "../../roles/run.ts";

describe("foresight CLI manners", () => {
  const root = packageRoot();
  const cli = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, [join(root, "dist", "cli.js"), ...args], {
      encoding: "utf8",
      env: { ...process.env, ...env },
      timeout: 60_000,
    });
  const SMALL = ["--files", "200", "--requests", "20", "--clients", "2", "--capacity-kib", "300"];
  const simScenario = (out: { stdout: string }) => JSON.parse(out.stdout.trim()).scenario;

  it("--help on every command lists every flag with its default", () => {
    const expected: Record<string, string[]> = {
      run: [
        "files",
        "scale",
        "runtime",
        "admin-port",
        "dashboard",
        "dashboard-port",
        "report",
        "json",
        "timeout",
        "log-level",
        "log-format",
        "config",
      ],
      sim: [
        "files",
        "policy",
        "json",
        "bound",
        "compare",
        "report",
        "dump-requests",
        "dir",
        "demand",
        "config",
      ],
      data: [
        "listen",
        "files",
        "admin-port",
        "admin-host",
        "stats-ms",
        "runtime",
        "log-level",
        "log-format",
        "config",
        "shaping",
        "clock-offset-ms",
      ],
      cache: [
        "origin",
        "listen",
        "advertise",
        "index",
        "admin-port",
        "log-level",
        "config",
        "shaping",
        "clock-offset-ms",
      ],
      client: [
        "origin",
        "index",
        "admin-port",
        "stats-ms",
        "log-format",
        "config",
        "clock-offset-ms",
      ],
    };
    for (const [command, flags] of Object.entries(expected)) {
      const out = cli([command, "--help"]);
      assert.equal(out.status, 0, `${command} --help`);
      for (const flag of flags) {
        assert.match(out.stdout, new RegExp(`--${flag}\\b`), `${command} --${flag}`);
      }
      const flagLines = out.stdout.split("\n").filter((l) => /^ {2}(-h, )?--/.test(l));
      // Each flag's entry (its line and any continuation) ends with its default.
      const entries = out.stdout.split(/\n(?= {2}(?:-h, )?--)/).slice(1);
      assert.equal(entries.length, flagLines.length);
      for (const e of entries) assert.match(e, /\(default [^)]+\)/, e);
      assert.match(out.stdout, /FORESIGHT_ADMIN_PORT/);
    }
  });

  it("every flag can come from FORESIGHT_* variables; flags win", () => {
    const out = cli(["sim", "--json", "--clients", "3"], {
      FORESIGHT_FILES: "150",
      FORESIGHT_REQUESTS: "15",
      FORESIGHT_CLIENTS: "9",
      FORESIGHT_CAPACITY_KIB: "200",
    });
    assert.equal(out.status, 0, out.stderr);
    const s = simScenario(out);
    assert.deepEqual([s.files, s.requests, s.clients, s.capacityKiB], [150, 15, 3, 200]);
    const bad = cli(["data"], { FORESIGHT_ADMIN_PORT: "eighty" });
    assert.equal(bad.status, 2);
    assert.match(
      bad.stderr,
      /Cannot use FORESIGHT_ADMIN_PORT "eighty": expected a whole number from 0 to 65535/,
    );
    const badBool = cli(["run"], { FORESIGHT_DASHBOARD: "maybe" });
    assert.equal(badBool.status, 2);
    assert.match(badBool.stderr, /Cannot use FORESIGHT_DASHBOARD="maybe": expected true or false/);
  });

  it("a bad --shaping or --clock-offset-ms is refused with exit 2 and says what was expected", () => {
    const shaping = cli(["cache", "--shaping", "fast"]);
    assert.equal(shaping.status, 2);
    assert.match(shaping.stderr, /Cannot use --shaping "fast": expected pacer or none/);
    const offset = cli(["client"], { FORESIGHT_CLOCK_OFFSET_MS: "ten" });
    assert.equal(offset.status, 2);
    assert.match(
      offset.stderr,
      /Cannot use FORESIGHT_CLOCK_OFFSET_MS "ten": expected a whole number from -86400000 to 86400000/,
    );
    const dir = mkdtempSync(join(tmpdir(), "foresight-config-"));
    try {
      const file = join(dir, "data.json");
      writeFileSync(file, JSON.stringify({ shaping: "kernel" }));
      const config = cli(["data", "--config", file]);
      assert.equal(config.status, 2);
      assert.match(config.stderr, /field "shaping" is "kernel": expected \("pacer" \| "none"\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a --config file sets fields; the environment and flags win over it", () => {
    const dir = mkdtempSync(join(tmpdir(), "foresight-config-"));
    const file = join(dir, "run.json");
    writeFileSync(
      file,
      JSON.stringify({
        files: 120,
        requests: 12,
        clients: 2,
        capacityKiB: 100,
        seed: 9,
        json: true,
      }),
    );
    const out = cli(["sim", "--config", file, "--seed", "4"], { FORESIGHT_REQUESTS: "10" });
    assert.equal(out.status, 0, out.stderr);
    const s = simScenario(out);
    assert.deepEqual([s.files, s.requests, s.clients, s.capacityKiB, s.seed], [120, 10, 2, 100, 4]);
    const viaEnv = cli(["sim"], { FORESIGHT_CONFIG: file });
    assert.equal(simScenario(viaEnv).seed, 9);
  });

  it("a shared secret in FORESIGHT_SECRET reaches every role; a client without it is refused", async () => {
    const ok = cli(["run", "--json", ...SMALL, "--scale", "20"], { FORESIGHT_SECRET: "s3cret" });
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(JSON.parse(ok.stdout.trim().split("\n").at(-1)!).ok, true);
    // An origin with the secret (from a flag) and a client without it.
    const origin = spawn(process.execPath, [
      join(root, "dist", "data.js"),
      "--secret",
      "s3cret",
      "--listen",
      "127.0.0.1:0",
      ...SMALL,
    ], { stdio: ["ignore", "pipe", "pipe"] });
    try {
      const port = await new Promise<number>((resolve, reject) => {
        let out = "";
        origin.stdout!.setEncoding("utf8").on("data", (d: string) => {
          out += d;
          const m = /"event":"listening".*?"port":(\d+)/.exec(out);
          if (m) resolve(Number(m[1]));
        });
        origin.on("exit", () => reject(new Error("the origin exited")));
      });
      const client = cli([
        "client",
        "--origin",
        `127.0.0.1:${port}`,
        "--connect-deadline-ms",
        "2000",
      ]);
      assert.notEqual(client.status, 0);
      assert.match(client.stderr, /shared secret/);
    } finally {
      origin.kill();
    }
  });

  it("a bad config file is named with the field, the value and what was expected; exit 2", () => {
    const dir = mkdtempSync(join(tmpdir(), "foresight-config-"));
    const write = (name: string, body: string) => {
      writeFileSync(join(dir, name), body);
      return join(dir, name);
    };
    const cases: [string, RegExp][] = [
      [write("type.json", '{"files": "many"}'), /field "files" is "many": expected number/],
      [write("range.json", '{"caches": 0}'), /field "caches" is 0: expected >=1/],
      [
        write("policy.json", '{"policy": "fifo"}'),
        /field "policy" is "fifo": expected \("seed" \| "nocache"/,
      ],
      [write("port.json", '{"adminPort": 70000}'), /field "adminPort" is 70000: expected <=65535/],
      [write("unknown.json", '{"fles": 3}'), /unknown field "fles": expected one of files, caches/],
      [write("syntax.json", "{files: 3"), /Cannot read --config .*syntax\.json/],
      [write("array.json", "[1, 2]"), /expected a JSON object of settings/],
      [write("cross.json", '{"files": 10, "requests": 20}'), /requests must not exceed files/],
      [join(dir, "missing.json"), /Cannot read --config .*missing\.json: no such file/],
    ];
    for (const [file, message] of cases) {
      const out = cli(["run", "--config", file, ...SMALL.slice(4)]);
      assert.equal(out.status, 2, `${file}: ${out.stderr}`);
      assert.match(out.stderr, message);
    }
  });
});
