/**
 * Property test of the client engine under random faults: a world answers
 * its effects as a random tape says (hits, misses, lost caches, rejoins,
 * failed joins), and the engine never asks one source twice at once, never
 * asks a file twice, and finishes once every request is answered.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { CANONICAL, type PolicyName } from "../../../core/run/scenario.ts";
import { ORIGIN_SOURCE, type Source } from "../../../core/policies/policy.ts";
import { type ClientEffect, ClientEngine } from "../../../engine/client.ts";

const O = ORIGIN_SOURCE;

/** A world that answers the engine's effects as a random tape says; see the property below. */
class ClientWorld {
  readonly e: ClientEngine;
  /** Per source: the file asked and whether its transfer began (the world's view). */
  readonly asked = new Map<Source, { file: number; began: boolean }>();
  /** Per cache place: "up", "down", or joining (with the generation being joined). */
  readonly place: { state: string; generation: number }[];
  readonly joins: { cache: number; generation: number }[] = [];
  maxGeneration = 0;
  finishedCount = 0;
  readonly got = new Set<number>();
  now = 0;

  constructor(policy: PolicyName, readonly caches: number, readonly list: number[]) {
    this.e = new ClientEngine({ scenario: { ...CANONICAL, policy, caches }, list });
    this.place = Array.from({ length: caches }, () => ({ state: "up", generation: 0 }));
  }

  /** Takes the engine's effects, asserting what a request must respect. */
  apply(effects: ClientEffect[]): void {
    const { asked, place, got } = this;
    for (const fx of effects) {
      switch (fx.kind) {
        case "request":
          assert.ok(!asked.has(fx.source), `two requests outstanding on source ${fx.source}`);
          assert.ok(fx.source === O || place[fx.source]!.state === "up", "asked a source not up");
          assert.ok(!got.has(fx.file), `file ${fx.file} asked again`);
          assert.ok(
            ![...asked.values()].some((a) => a.file === fx.file),
            `file ${fx.file} asked of two sources at once`,
          );
          asked.set(fx.source, { file: fx.file, began: false });
          break;
        case "drop":
          if (place[fx.source]!.generation === fx.generation) {
            asked.delete(fx.source);
            place[fx.source]!.state = "down";
          }
          break;
        case "join":
          place[fx.cache] = { state: "joining", generation: fx.generation };
          this.joins.push({ cache: fx.cache, generation: fx.generation });
          break;
        case "adopt":
          place[fx.cache] = { state: "up", generation: fx.generation };
          break;
        case "finished":
          this.finishedCount++;
          break;
      }
    }
  }

  /** One step: `roll` picks what happens; without `faulty`, only what was asked is answered. */
  step(roll: number, faulty: boolean): void {
    const { e, asked, place, joins, caches, list } = this;
    const now = ++this.now;
    const sources = [...asked.keys()];
    const upCaches = place.flatMap((p, k) => p.state === "up" ? [k] : []);
    const action = roll % 6;
    if (faulty && action === 4 && upCaches.length > 0) {
      const k = upCaches[roll % upCaches.length]!;
      this.apply(e.handle({ type: "sourceLost", source: k, reason: "fault" }, now));
    } else if (faulty && action === 5 && caches > 0) {
      const k = roll % caches;
      const files = list.filter((f) => f % caches === k && roll % (f + 2) !== 0);
      this.apply(e.handle({
        type: "rejoin",
        cache: k,
        generation: ++this.maxGeneration,
        host: "h",
        port: k,
        files,
      }, now));
    } else if (joins.length > 0 && (!faulty || action === 3 || sources.length === 0)) {
      const j = joins.splice(roll % joins.length, 1)[0]!;
      const fail = faulty && roll % 2 === 1;
      this.apply(e.handle(
        fail ? { type: "joinFailed", ...j, reason: "refused" } : { type: "joined", ...j },
        now,
      ));
    } else if (sources.length > 0) {
      this.#answer(sources[roll % sources.length]!, faulty && action < 2, now);
    } else if (!faulty) {
      assert.fail("the engine waits for nothing and has not finished");
    }
  }

  /** `source` answers what it was asked: the end of a transfer, a miss or its beginning. */
  #answer(source: Source, miss: boolean, now: number): void {
    const a = this.asked.get(source)!;
    if (a.began) {
      this.asked.delete(source);
      this.got.add(a.file);
      this.apply(this.e.handle({ type: "fileEnded", source, file: a.file, ok: true }, now));
    } else if (miss) {
      this.asked.delete(source);
      this.apply(this.e.handle({ type: "missed", source, file: a.file }, now));
    } else {
      a.began = true;
      this.apply(this.e.handle({
        type: "fileBegan",
        source,
        file: a.file,
        size: a.file * 1024,
        kind: source === O ? "file" : "hit",
      }, now));
    }
  }
}

function runWorld(policy: PolicyName, caches: number, list: number[], tape: number[]): void {
  const w = new ClientWorld(policy, caches, list);
  w.apply(w.e.handle({ type: "started" }, w.now));
  let t = 0;
  for (let step = 0; step < 100_000 && !w.e.finished; step++) {
    const faulty = t < tape.length;
    w.step(faulty ? tape[t++]! : 0, faulty);
  }
  assert.ok(w.e.finished, "the engine finished");
  assert.equal(w.finishedCount, 1);
  assert.deepEqual([...w.got].sort((a, b) => a - b), [...new Set(list)].sort((a, b) => a - b));
  assert.equal(w.e.counters.files, new Set(list).size);
}

describe("ClientEngine under random faults", () => {
  it("never asks one source twice at once, and finishes once every request is answered", () => {
    fc.assert(
      fc.property(
        fc.constantFrom<PolicyName>("foresight", "seed", "nocache", "lru"),
        fc.integer({ min: 0, max: 3 }),
        fc.uniqueArray(fc.integer({ min: 1, max: 40 }), { maxLength: 25, size: "medium" }),
        fc.array(fc.nat({ max: 1_000 }), { maxLength: 200, size: "medium" }),
        (policy, caches, list, tape) => runWorld(policy, caches, list, tape),
      ),
      { numRuns: 300 },
    );
  });
});
