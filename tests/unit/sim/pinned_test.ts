import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { CANONICAL, type PolicyName, type Scenario } from "../../../core/run/scenario.ts";
import { simulate } from "../../../sim/simulator.ts";

/**
 * Every policy's result on three off-grid scenarios, exactly as the
 * simulator of commit 52993a3 computed them (before its event queue, links
 * and planners were made faster): a change of speed must not change a single
 * decision, so the makespan (to the last bit), the steps, the bytes per link
 * class and the cache hits must all stay these.
 */
const PINNED: [string, Scenario, [PolicyName, number, number, number, number, number, number][]][] =
  [
    ["3 caches × 6 clients", {
      ...CANONICAL,
      caches: 3,
      clients: 6,
      files: 3000,
      requests: 300,
      seed: 5,
    }, [
      ["seed", 261.16866666666675, 7189, 1670368256, 680970240, 1994100736, 1445],
      ["nocache", 460.7439999999999, 3618, 0, 2675070976, 0, 0],
      ["lru", 411.20133333333337, 8232, 2398390272, 0, 2675070976, 262],
      ["belady", 365.10883333333317, 7833, 2107487232, 0, 2675070976, 395],
      ["foresight", 165.37449999999995, 5430, 1093319680, 1014167552, 1660903424, 1228],
    ]],
    ["1 cache × 3 clients", {
      ...CANONICAL,
      caches: 1,
      clients: 3,
      files: 2000,
      requests: 400,
      capacityKiB: 9000,
      seed: 3,
    }, [
      ["seed", 316.3038333333334, 5203, 656883712, 511143936, 731091968, 760],
      ["nocache", 416.63899999999995, 2408, 0, 1242235904, 0, 0],
      ["lru", 572.7490000000003, 5666, 1172989952, 0, 1242235904, 114],
      ["belady", 505.1205000000003, 5372, 1031758848, 0, 1242235904, 212],
      ["foresight", 196.1069999999999, 3884, 410694656, 602186752, 640049152, 803],
    ]],
    [
      "8 caches × 32 clients",
      { ...CANONICAL, caches: 8, clients: 32, files: 4000, requests: 200 },
      [
        ["seed", 287.85266666666655, 23830, 4830706688, 5735785472, 7367602176, 4118],
        ["nocache", 427.9450000000001, 12880, 0, 13103387648, 0, 0],
        ["lru", 690.22, 27514, 10863204352, 0, 13103387648, 1522],
        ["belady", 536.115, 24241, 8304456704, 0, 13103387648, 2613],
        ["foresight", 156.871, 15472, 2751171584, 5084239872, 8019147776, 3553],
      ],
    ],
  ];

describe("simulate: results pinned from before the speed work", () => {
  for (const [name, base, rows] of PINNED) {
    for (const [policy, makespan, steps, toCache, toClient, cacheToClient, hits] of rows) {
      it(`${name}, ${policy}: makespan ${makespan} s in ${steps} steps`, () => {
        const r = simulate({ ...base, policy });
        assert.deepEqual(
          [
            r.makespan,
            r.steps,
            r.links.originToCache,
            r.links.originToClient,
            r.links.cacheToClient,
          ],
          [makespan, steps, toCache, toClient, cacheToClient],
        );
        assert.equal(r.caches.reduce((a, c) => a + c.hits, 0), hits);
      });
    }
  }
});
