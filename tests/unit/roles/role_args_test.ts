/**
 * What `foresight run` hands each role process (roles/role_args.ts): the
 * scenario's flags, the flags every role shares, and the environment.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { CANONICAL } from "../../../core/run/scenario.ts";
import { roleArgs, roleEnv, scenarioArgs } from "../../../roles/role_args.ts";

const SETTINGS = { caches: 2, statsMs: 100, logLevel: "warn", logFormat: "pretty" } as const;

describe("roleArgs", () => {
  it("gives no admin port without one, and every role port 0 with 0", () => {
    assert.deepEqual(roleArgs("origin", 0, SETTINGS), [
      "--stats-ms",
      "100",
      "--log-level",
      "warn",
      "--log-format",
      "pretty",
    ]);
    assert.deepEqual(roleArgs("client", 3, { ...SETTINGS, adminPort: 0 }).slice(0, 2), [
      "--admin-port",
      "0",
    ]);
  });

  it("gives the origin N, cache i N+1+i and client j N+1+caches+j", () => {
    const port = (role: "origin" | "cache" | "client", index: number) =>
      roleArgs(role, index, { ...SETTINGS, adminPort: 9000 })[1];
    assert.equal(port("origin", 0), "9000");
    assert.equal(port("cache", 1), "9002");
    assert.equal(port("client", 0), "9003");
  });

  it("adds the idle limit only when one is set", () => {
    assert.deepEqual(roleArgs("cache", 0, { ...SETTINGS, idleMs: 500 }).slice(-2), [
      "--idle-ms",
      "500",
    ]);
  });
});

describe("scenarioArgs", () => {
  it("gives every field of the scenario as a flag, in pairs", () => {
    const args = scenarioArgs(CANONICAL);
    assert.equal(args.length, 22);
    assert.equal(args[args.indexOf("--files") + 1], String(CANONICAL.files));
    assert.equal(args[args.indexOf("--policy") + 1], CANONICAL.policy);
  });
});

describe("roleEnv", () => {
  it("keeps FORESIGHT_* variables out and passes the secret on", () => {
    const before = process.env.FORESIGHT_TEST_ONLY;
    process.env.FORESIGHT_TEST_ONLY = "x";
    try {
      const env = roleEnv("s3cret");
      assert.equal(env.FORESIGHT_TEST_ONLY, undefined);
      assert.equal(env.FORESIGHT_SECRET, "s3cret");
      assert.equal(env.NO_COLOR, "1");
      assert.equal(roleEnv().FORESIGHT_SECRET, undefined);
    } finally {
      if (before === undefined) delete process.env.FORESIGHT_TEST_ONLY;
      else process.env.FORESIGHT_TEST_ONLY = before;
    }
  });
});
