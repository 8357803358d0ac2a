/**
 * The client engine driven by hand: no sockets, a manual `now` (under random
 * faults: client_schedule_test.ts).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { CANONICAL, type Scenario } from "../../../core/run/scenario.ts";
import { ORIGIN_SOURCE, type Source } from "../../../core/policies/policy.ts";
import { type ClientEffect, ClientEngine } from "../../../engine/client.ts";
import { isForesightError } from "../../../errors.ts";

const O = ORIGIN_SOURCE;
const scenario = (over: Partial<Scenario> = {}): Scenario => ({ ...CANONICAL, ...over });
const engineOf = (list: number[], over: Partial<Scenario> = {}) =>
  new ClientEngine({ scenario: scenario(over), list });

/** The requests among `effects`, as [source, file, at]. */
function requests(effects: ClientEffect[]): [Source, number, number][] {
  return effects.flatMap((e) => e.kind === "request" ? [[e.source, e.file, e.at]] : []);
}
/** The effects but logs, as their kinds. */
const kinds = (effects: ClientEffect[]) =>
  effects.filter((e) => e.kind !== "log").map((e) => e.kind);

/** `source` sends `file` whole between `now` and `now + 1`; the effects of its end. */
function serve(
  engine: ClientEngine,
  source: Source,
  file: number,
  now: number,
  due?: number,
): ClientEffect[] {
  const began = engine.handle({
    type: "fileBegan",
    source,
    file,
    size: file * 1024,
    kind: source === O ? "file" : "hit",
    due,
  }, now);
  assert.deepEqual(began, []);
  return engine.handle({ type: "fileEnded", source, file, ok: true }, now + 1);
}

describe("ClientEngine", () => {
  it("asks nothing before the start, then one file of each source", () => {
    const e = engineOf([2, 3, 4, 5]);
    assert.deepEqual(e.handle({ type: "planned", routes: [] }, 0), []);
    assert.deepEqual(requests(e.handle({ type: "started" }, 7)), [[0, 2, 7], [1, 3, 7]]);
  });

  it("takes a whole file at once as its header then its end", () => {
    // Two engines, one fed `file`, the other `fileBegan` + `fileEnded`: the same effects, counters, state.
    const whole = engineOf([2, 3, 4, 5, 6, 7]);
    const split = engineOf([2, 3, 4, 5, 6, 7]);
    assert.deepEqual(whole.handle({ type: "started" }, 0), split.handle({ type: "started" }, 0));
    for (const [t, source, file] of [[3, 0, 2], [4, 1, 3], [9, 0, 4]] as const) {
      const size = file * 1024;
      const kind = "hit" as const;
      const got = whole.handle({ type: "file", source, file, size, kind, due: t, ok: true }, t);
      const began = split.handle({ type: "fileBegan", source, file, size, kind, due: t }, t);
      assert.deepEqual(began, []);
      assert.deepEqual(got, split.handle({ type: "fileEnded", source, file, ok: true }, t));
      assert.ok(requests(got).length > 0, "the source is asked again");
    }
    assert.deepEqual(whole.counters, split.counters);
    assert.deepEqual(whole.outstanding, split.outstanding);
    // A whole file that was not asked for is refused before anything changes.
    assert.throws(
      () =>
        whole.handle({ type: "file", source: 1, file: 9, size: 9216, kind: "hit", ok: true }, 10),
      (e) => isForesightError(e, "PROTOCOL"),
    );
    assert.deepEqual(whole.counters, split.counters);
  });

  it("follows the routes of the origin's plan", () => {
    const e = engineOf([2, 3, 4, 5, 6]);
    e.handle({ type: "planned", routes: [[4, O], [3, 0], [6, 1]] }, 0);
    assert.deepEqual(requests(e.handle({ type: "started" }, 0)), [[O, 4, 0], [0, 3, 0], [1, 6, 0]]);
    // Cache 0 then takes its routed file's shard mates, ascending.
    assert.deepEqual(requests(serve(e, 0, 3, 10)), [[0, 2, 11]]);
  });

  it("takes routes given with the start", () => {
    const e = engineOf([2, 3]);
    const got = requests(e.handle({ type: "started", routes: [[2, O], [3, O]] }, 0));
    assert.deepEqual(got, [[O, 2, 0]]);
    assert.deepEqual(requests(serve(e, O, 2, 5)), [[O, 3, 6]]);
  });

  it("re-asks a cache's miss of the origin, as of when the cache was asked", () => {
    const e = engineOf([2, 3]);
    e.handle({ type: "started" }, 100);
    const after = e.handle({ type: "missed", source: 0, file: 2 }, 130);
    assert.deepEqual(requests(after), [[O, 2, 100]]);
    assert.equal(e.counters.misses, 1);
    // The origin's miss (a cache took the file's demand) sends it back to its shard.
    assert.deepEqual(requests(e.handle({ type: "missed", source: O, file: 2 }, 140)), [[
      0,
      2,
      100,
    ]]);
    assert.equal(e.counters.misses, 1);
  });

  it("decides after a file as of its due time, whether its bytes came late or early", () => {
    const e = engineOf([2, 4, 6, 8]);
    e.handle({ type: "started" }, 0);
    assert.deepEqual(requests(serve(e, 0, 2, 10, 8)), [[0, 4, 8]], "late: dated back to the due");
    assert.deepEqual(requests(serve(e, 0, 4, 20, 50)), [[0, 6, 50]], "early: dated at the due");
    assert.deepEqual(requests(serve(e, 0, 6, 60)), [[0, 8, 61]], "no due: dated now");
  });

  it("fetches a lost cache's files from the origin and tells the origin", () => {
    const e = engineOf([2, 3, 4, 6]);
    e.handle({ type: "started" }, 0);
    e.handle({ type: "fileBegan", source: 0, file: 2, size: 2048, kind: "hit" }, 1);
    const lost = e.handle({ type: "sourceLost", source: 0, reason: "reset" }, 2);
    assert.deepEqual(kinds(lost), ["drop", "tellLost", "request"]);
    assert.deepEqual(lost.find((x) => x.kind === "tellLost"), {
      kind: "tellLost",
      cache: 0,
      generation: 0,
    });
    assert.deepEqual(requests(lost), [[O, 2, 2]]);
    assert.equal(e.counters.lostSources, 1);
    assert.equal(e.counters.hits, 1);
    // A second break of the same cache changes nothing.
    assert.deepEqual(e.handle({ type: "sourceLost", source: 0, reason: "again" }, 3), []);
    assert.deepEqual(requests(serve(e, O, 2, 4)), [[O, 4, 5]]);
    assert.deepEqual(requests(serve(e, O, 4, 6)), [[O, 6, 7]]);
    assert.equal(e.counters.lostSources, 1);
  });

  it("treats caches unreachable at the start as lost, telling the origin of the unjoinable", () => {
    const e = engineOf([2, 3]);
    const fx = e.handle({
      type: "started",
      places: [
        { cache: 0, generation: 2, state: "unjoinable" },
        { cache: 1, generation: 0, state: "absent" },
      ],
    }, 0);
    assert.deepEqual(fx.filter((x) => x.kind === "tellLost"), [
      { kind: "tellLost", cache: 0, generation: 2 },
    ]);
    assert.deepEqual(requests(fx), [[O, 2, 0]]);
    assert.equal(e.counters.lostSources, 2);
  });

  it("sends a rejoined cache's files back to it once joined", () => {
    const e = engineOf([2, 3, 4, 6, 8]);
    e.handle({ type: "started" }, 0);
    e.handle({ type: "sourceLost", source: 0, reason: "killed" }, 1); // asks the origin for 2
    const back = e.handle(
      { type: "rejoin", cache: 0, generation: 1, host: "h", port: 1, files: [4, 6, 8] },
      2,
    );
    assert.deepEqual(kinds(back), ["join"]);
    assert.deepEqual(back.find((x) => x.kind === "join"), {
      kind: "join",
      cache: 0,
      generation: 1,
      host: "h",
      port: 1,
    });
    // Joining: nothing of the cache's is asked anywhere meanwhile.
    assert.deepEqual(requests(serve(e, O, 2, 3)), []);
    const joined = e.handle({ type: "joined", cache: 0, generation: 1 }, 5);
    assert.deepEqual(kinds(joined), ["adopt", "request"]);
    assert.deepEqual(requests(joined), [[0, 4, 5]]);
    assert.equal(e.counters.regainedSources, 1);
    assert.equal(e.generation(0), 1);
  });

  it("sends a rejoined cache's files to the origin when it cannot be joined", () => {
    const e = engineOf([2, 3, 4, 6]);
    e.handle({ type: "started" }, 0);
    e.handle({ type: "sourceLost", source: 0, reason: "killed" }, 1); // asks the origin for 2
    e.handle({ type: "rejoin", cache: 0, generation: 1, host: "h", port: 1, files: [4, 6] }, 2);
    const failed = e.handle({ type: "joinFailed", cache: 0, generation: 1, reason: "refused" }, 3);
    assert.deepEqual(kinds(failed), ["tellLost"]);
    assert.deepEqual(failed.find((x) => x.kind === "tellLost"), {
      kind: "tellLost",
      cache: 0,
      generation: 1,
    });
    assert.deepEqual(requests(serve(e, O, 2, 4)), [[O, 4, 5]]);
    assert.deepEqual(requests(serve(e, O, 4, 6)), [[O, 6, 7]]);
    assert.equal(e.counters.regainedSources, 0);
  });

  it("replaces a cache it still reaches when the origin says another took its place", () => {
    const e = engineOf([2, 3, 4]);
    e.handle({ type: "started" }, 0);
    const fx = e.handle(
      { type: "rejoin", cache: 0, generation: 1, host: "h", port: 1, files: [2, 4] },
      1,
    );
    assert.deepEqual(kinds(fx), ["drop", "tellLost", "join"]);
    assert.deepEqual(requests(e.handle({ type: "joined", cache: 0, generation: 1 }, 2)), [
      [0, 2, 2],
    ]);
  });

  it("ignores a stale rejoin, and drops a join superseded by a later rejoin", () => {
    const e = engineOf([2, 3, 4]);
    e.handle({ type: "started", places: [{ cache: 0, generation: 3, state: "joined" }] }, 0);
    const stale = e.handle(
      { type: "rejoin", cache: 0, generation: 2, host: "h", port: 1, files: [2] },
      1,
    );
    assert.deepEqual(kinds(stale), []);
    e.handle({ type: "sourceLost", source: 0, reason: "x", generation: 2 }, 2); // stale: nothing
    assert.equal(e.counters.lostSources, 0);
    e.handle({ type: "rejoin", cache: 0, generation: 4, host: "h", port: 1, files: [2] }, 3);
    e.handle({ type: "rejoin", cache: 0, generation: 5, host: "h", port: 2, files: [2] }, 4);
    assert.deepEqual(e.handle({ type: "joined", cache: 0, generation: 4 }, 5), [
      { kind: "drop", source: 0, generation: 4 },
    ]);
    assert.deepEqual(e.handle({ type: "joinFailed", cache: 0, generation: 4, reason: "x" }, 5), []);
    assert.deepEqual(kinds(e.handle({ type: "joined", cache: 0, generation: 5 }, 6)), [
      "adopt",
      "request",
    ]);
  });

  it("handles rejoins that came before the start at the start", () => {
    const e = engineOf([2, 3]);
    const early = e.handle(
      { type: "rejoin", cache: 1, generation: 1, host: "h", port: 1, files: [3] },
      0,
    );
    assert.deepEqual(early, []);
    const fx = e.handle({ type: "started" }, 1);
    assert.deepEqual(kinds(fx), ["drop", "tellLost", "join", "request"]);
    assert.deepEqual(requests(fx), [[0, 2, 1]]);
  });

  it("throws on a file, a miss or a rejoin it did not ask for, changing nothing", () => {
    const e = engineOf([2, 3]);
    const bad = (f: () => unknown, code: "PROTOCOL" | "CORRUPT") =>
      assert.throws(f, (x) => isForesightError(x, code));
    bad(
      () => e.handle({ type: "fileBegan", source: 0, file: 2, size: 2048, kind: "hit" }, 0),
      "PROTOCOL",
    );
    e.handle({ type: "started" }, 0);
    bad(
      () => e.handle({ type: "fileBegan", source: 0, file: 4, size: 4096, kind: "hit" }, 1),
      "PROTOCOL",
    );
    bad(
      () => e.handle({ type: "fileBegan", source: O, file: 2, size: 2048, kind: "file" }, 1),
      "PROTOCOL",
    );
    bad(
      () => e.handle({ type: "fileBegan", source: 0, file: 2, size: 99, kind: "hit" }, 1),
      "CORRUPT",
    );
    bad(() => e.handle({ type: "missed", source: 1, file: 2 }, 1), "PROTOCOL");
    bad(() => e.handle({ type: "fileEnded", source: 0, file: 2, ok: true }, 1), "PROTOCOL");
    bad(
      () => e.handle({ type: "rejoin", cache: 2, generation: 1, host: "h", port: 1, files: [] }, 1),
      "PROTOCOL",
    );
    bad(() => e.handle({ type: "stop", reason: "early" }, 1), "PROTOCOL");
    assert.deepEqual(e.counters.hits + e.counters.misses, 0);
    assert.deepEqual([...e.outstanding], [[0, 2], [1, 3]]);
    serve(e, 0, 2, 2);
    bad(() => e.handle({ type: "missed", source: 1, file: 3 }, 3) && serve(e, 1, 3, 3), "PROTOCOL");
  });

  it("says finished exactly once, when every file is in, and counts corrupt files", () => {
    const e = engineOf([2, 3]);
    e.handle({ type: "started" }, 0);
    assert.deepEqual(kinds(serve(e, 0, 2, 1)), []);
    e.handle({ type: "fileBegan", source: 1, file: 3, size: 3072, kind: "hit" }, 2);
    const end = e.handle({ type: "fileEnded", source: 1, file: 3, ok: false }, 3);
    assert.deepEqual(kinds(end), ["finished"]);
    assert.ok(end.some((x) => x.kind === "log" && x.level === "error"));
    assert.equal(e.finished, true);
    assert.deepEqual(e.handle({ type: "sourceLost", source: 0, reason: "gone" }, 4), []);
    assert.deepEqual(
      e.handle({ type: "rejoin", cache: 0, generation: 1, host: "h", port: 1, files: [2] }, 4),
      [],
    );
    assert.deepEqual(e.handle({ type: "stop", reason: "all done" }, 5), []);
    assert.deepEqual({ ...e.counters, hits: 0 }, {
      files: 2,
      verified: 1,
      corrupt: 1,
      hits: 0,
      misses: 0,
      fromOrigin: 0,
      lostSources: 0,
      regainedSources: 0,
    });
  });

  it("finishes at the start with an empty list", () => {
    const e = engineOf([]);
    assert.deepEqual(kinds(e.handle({ type: "started" }, 0)), ["finished"]);
  });

  it("drives the seed policy one file at a time, and nocache from the origin", () => {
    const seed = engineOf([3, 2], { policy: "seed" });
    assert.deepEqual(requests(seed.handle({ type: "started" }, 0)), [[0, 2, 0]]);
    assert.deepEqual(requests(serve(seed, 0, 2, 1)), [[1, 3, 2]]);
    const none = engineOf([3, 2], { policy: "nocache" });
    assert.deepEqual(requests(none.handle({ type: "started" }, 0)), [[O, 2, 0]]);
  });
});
