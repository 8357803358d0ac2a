import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ORIGIN_SOURCE } from "../../../../core/policies/policy.ts";
import { planRoutes } from "../../../../core/routing/route_plan.ts";
import { CANONICAL, requestList, type Scenario, shardOf } from "../../../../core/run/scenario.ts";
import { tieredRouting } from "../../../../core/routing/tiered_routing.ts";
import { exactScenarioBound } from "../../../../sim/highs_solver.ts";
import { simulate } from "../../../../sim/simulator.ts";

const AT_SCALE: Scenario = { ...CANONICAL, caches: 8, clients: 32, files: 4000, requests: 200 };
let exact: ReturnType<typeof exactScenarioBound> | undefined;
/** The exact bound of AT_SCALE, solved once for every test here. */
const exactBound = () => (exact ??= exactScenarioBound(AT_SCALE));

function routingInput(s: Scenario) {
  const lists = Array.from(
    { length: s.clients },
    (_, c) => requestList(s.seed, c, s.files, s.requests),
  );
  const requesters = new Map<number, number[]>();
  lists.forEach((list, c) => {
    for (const f of list) requesters.set(f, [...(requesters.get(f) ?? []), c]);
  });
  const rates = {
    originClient: s.rateOriginClient * 1024,
    originCache: s.rateOriginCache * 1024,
    cacheClient: s.rateCacheClient * 1024,
  };
  return {
    lists,
    requesters,
    clients: s.clients,
    caches: s.caches,
    capacity: s.capacityKiB * 1024,
    size: (f: number) => f * 1024,
    rates,
  };
}

describe("tieredRouting", () => {
  it("routes every request once, direct or through its shard's cache", () => {
    const input = routingInput(AT_SCALE);
    const { routing } = tieredRouting(input);
    input.lists.forEach((list, c) => {
      assert.equal(routing[c]!.size, list.length);
      for (const f of list) {
        const s = routing[c]!.get(f);
        assert.ok(s === ORIGIN_SOURCE || s === shardOf(f, AT_SCALE.caches), `${c}/${f}: ${s}`);
      }
    });
  });

  it("balances to the exact fluid bound at 8 caches × 32 clients (the bound's tier structure)", async () => {
    const { seconds } = tieredRouting(routingInput(AT_SCALE));
    const bound = await exactBound();
    assert.ok(
      Math.abs(seconds - bound.seconds) <= 1e-6 * bound.seconds,
      `${seconds} ≠ ${bound.seconds}`,
    );
  });

  it("makes the foresight plan land within 1.02 × the exact bound at 8 × 32, in whole files", async () => {
    const input = routingInput(AT_SCALE);
    const plan = planRoutes(input);
    const bound = await exactBound();
    assert.equal(plan.routing, "tiered");
    assert.ok(
      plan.fluidSeconds <= 1.02 * bound.seconds,
      `${plan.fluidSeconds} vs ${bound.seconds}`,
    );
    assert.ok(plan.fluidSeconds >= bound.seconds * (1 - 1e-9));
  });

  it("makes the simulated foresight makespan within 1.02 × the exact bound at 8 × 32", async () => {
    const r = simulate({ ...AT_SCALE, policy: "foresight" });
    const bound = await exactBound();
    assert.ok(r.makespan <= 1.02 * bound.seconds, `${r.makespan} vs ${bound.seconds}`);
    assert.ok(r.makespan >= bound.seconds);
  });
});
