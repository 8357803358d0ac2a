/**
 * The schema of the events roles print (protocol/role_event.ts): one valid
 * event of every kind passes as it is; a wrong or missing `event`, a missing
 * or mistyped field, or a line that is no JSON is refused with a reason.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as v from "valibot";
import {
  parseRoleEvent,
  type RoleEvent,
  type RoleEventOf,
  RoleEventSchema,
} from "../../../protocol/role_event.ts";

/** One event of each kind, as a role prints it (the type makes sure none is missing). */
const SAMPLES = {
  phase: { event: "phase", phase: "warming" },
  start: { event: "start", at: 1234.5 },
  register: { event: "register", role: "cache", index: 1 },
  list: { event: "list", client: 2, files: 30 },
  done: { event: "done", client: 2 },
  "cache-lost": { event: "cache-lost", index: 0, phase: "running", reason: "connection reset" },
  "client-lost": { event: "client-lost", index: 3, phase: "registering", reason: "silent" },
  "link-cut": { event: "link-cut", client: 1, cache: 0 },
  "cache-rejoined": { event: "cache-rejoined", index: 0 },
  registered: { event: "registered", index: 1, port: 40123 },
  warm: { event: "warm", files: 12, bytes: 98_304 },
  progress: {
    event: "progress",
    index: 0,
    files: 4,
    of: 10,
    bytes: 4096,
    hits: 3,
    misses: 1,
    simSeconds: 12.5,
  },
  listening: { event: "listening", role: "origin", host: "127.0.0.1", port: 9000 },
  admin: { event: "admin", role: "cache", index: 0, host: "127.0.0.1", port: 8081 },
  stats: { event: "stats", role: "cache", phase: "running", usedBytes: 4096, held: [1, 2] },
  summary: {
    event: "summary",
    role: "client",
    runtime: "deno",
    ok: true,
    peakRssBytes: 50_000_000,
    verified: 10,
    finishSimSeconds: 42,
  },
} as const satisfies { [E in RoleEvent["event"]]: RoleEventOf<E> };

describe("RoleEventSchema", () => {
  for (const [name, sample] of Object.entries(SAMPLES)) {
    it(`passes a valid "${name}" event as it is`, () => {
      const r = parseRoleEvent(JSON.stringify(sample));
      assert.deepEqual(r, { ok: true, event: sample });
    });
  }

  it("passes an admin event without an index (a role that did not know it yet)", () => {
    const { index: _, ...noIndex } = SAMPLES.admin;
    assert.equal(v.is(RoleEventSchema, noIndex), true);
  });

  it("keeps a failed summary's error, and refuses one that is no string", () => {
    const failed = { ...SAMPLES.summary, ok: false, error: "Cannot connect" };
    assert.deepEqual(parseRoleEvent(JSON.stringify(failed)), { ok: true, event: failed });
    assert.equal(v.is(RoleEventSchema, { ...failed, error: 7 }), false);
  });

  it("refuses an event name that does not exist, and says which field", () => {
    const r = parseRoleEvent(JSON.stringify({ ...SAMPLES.warm, event: "st.warm" }));
    assert.equal(r.ok, false);
    assert.match(!r.ok ? r.reason : "", /^event: /);
  });

  it("refuses a line without an event", () => {
    const { event: _, ...rest } = SAMPLES.done;
    assert.equal(parseRoleEvent(JSON.stringify(rest)).ok, false);
    assert.equal(parseRoleEvent("[]").ok, false);
    assert.equal(parseRoleEvent("null").ok, false);
  });

  it("refuses each kind with a required field missing, naming it", () => {
    for (const [name, sample] of Object.entries(SAMPLES)) {
      for (const field of Object.keys(sample)) {
        if (field === "event" || (name === "admin" && field === "index")) continue;
        if (
          (name === "stats" || name === "summary") &&
          !["role", "phase", "runtime", "ok", "peakRssBytes"].includes(field)
        ) continue;
        const without: Record<string, unknown> = { ...sample };
        delete without[field];
        const r = parseRoleEvent(JSON.stringify(without));
        assert.equal(r.ok, false, `${name} without ${field}`);
        assert.match(!r.ok ? r.reason : "", new RegExp(`^${field}: `), `${name} without ${field}`);
      }
    }
  });

  it("refuses a field of the wrong type or out of its choices", () => {
    assert.equal(v.is(RoleEventSchema, { ...SAMPLES.progress, files: "4" }), false);
    assert.equal(v.is(RoleEventSchema, { ...SAMPLES.phase, phase: "sleeping" }), false);
    assert.equal(v.is(RoleEventSchema, { ...SAMPLES.register, role: "origin" }), false);
    assert.equal(v.is(RoleEventSchema, { ...SAMPLES.listening, role: "cache" }), false);
    assert.equal(v.is(RoleEventSchema, { ...SAMPLES.stats, role: "proxy" }), false);
  });

  it("drops unknown fields of a fixed event, keeps every counter of stats and summary", () => {
    const r = parseRoleEvent(JSON.stringify({ ...SAMPLES.done, extra: 1 }));
    assert.deepEqual(r, { ok: true, event: SAMPLES.done });
    const s = parseRoleEvent(JSON.stringify({ ...SAMPLES.stats, demand: { owed: 3 } }));
    assert.deepEqual(s, { ok: true, event: { ...SAMPLES.stats, demand: { owed: 3 } } });
  });

  it("says why a line that is no JSON is no event", () => {
    const r = parseRoleEvent("Warning: something a runtime printed");
    assert.equal(r.ok, false);
    assert.match(!r.ok ? r.reason : "", /^not JSON: /);
  });
});
