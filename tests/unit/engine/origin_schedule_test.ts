/**
 * Property test of the origin engine under random fault schedules: small
 * scenarios of every policy, played by honest caches and clients
 * (origin_harness.ts) with random message orders and random losses of
 * caches, clients and links, and restarted caches. Invariants: the run ends
 * with a stop, the demand ledger never goes negative (it throws), and every
 * client still alive got every file of its list.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { CANONICAL, checkScenario, type PolicyName } from "../../../core/run/scenario.ts";
import { type Fault, play } from "./origin_harness.ts";

const runArb = fc.record({
  policy: fc.constantFrom<PolicyName>("foresight", "seed", "nocache", "lru", "belady"),
  caches: fc.integer({ min: 1, max: 3 }),
  clients: fc.integer({ min: 1, max: 4 }),
  files: fc.integer({ min: 2, max: 8 }),
  capacityKiB: fc.integer({ min: 0, max: 16 }),
}).chain((base) =>
  fc.record({
    base: fc.constant(base),
    lists: fc.array(
      fc.uniqueArray(fc.integer({ min: 1, max: base.files }), { maxLength: 4 }),
      { minLength: base.clients, maxLength: base.clients },
    ),
    faults: fc.array(
      fc.record<Fault>({
        kind: fc.constantFrom("cache-lost", "client-lost", "link-lost", "restart"),
        a: fc.nat(2),
        b: fc.nat(3),
        after: fc.nat(80),
      }),
      { maxLength: 5 },
    ),
    choices: fc.array(fc.nat(), { maxLength: 300 }),
  })
);

describe("origin engine under random fault schedules", () => {
  it("always stops, and every live client gets every file of its list", () => {
    fc.assert(
      fc.property(runArb, ({ base, lists, faults, choices }) => {
        const s = checkScenario({
          ...CANONICAL,
          ...base,
          requests: Math.max(1, ...lists.map((l) => l.length)),
        });
        const out = play(s, lists, faults, choices);
        assert.notEqual(out.stop, undefined, `no stop after ${out.steps} steps`);
        for (const c of out.clients) {
          if (c.alive) assert.deepEqual(c.missing, [], `client ${c.index} is missing files`);
        }
        const t = out.engine.end();
        assert.equal(t.ok, true);
        assert.equal(
          t.ledger.added,
          t.ledger.direct + t.ledger.handed + t.ledger.cancelled + t.ledger.outstanding,
        );
      }),
      { numRuns: 300 },
    );
  });
});
