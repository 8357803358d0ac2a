/**
 * The policy registry: a scenario's policy name → its origin and client sides.
 *
 * @module
 */

import { ForesightError } from "../errors.ts";
import type { ClientPolicy, OriginPolicy, OriginView } from "./policy.ts";
import type { Scenario } from "./scenario.ts";
import { NoCacheOrigin, SeedOrigin, SequentialClient } from "./seed_policy.ts";

/**
 * The origin side of `scenario.policy`.
 *
 * @throws {ForesightError} CONFIG for a policy the live roles cannot run yet
 */
export function makeOriginPolicy(scenario: Scenario, view: OriginView): OriginPolicy {
  switch (scenario.policy) {
    case "seed":
      return new SeedOrigin(view);
    case "nocache":
      return new NoCacheOrigin();
    default:
      throw new ForesightError("CONFIG", `Cannot run policy "${scenario.policy}": not implemented in this version`);
  }
}

/** The client side of `scenario.policy` for one client's `list`. */
export function makeClientPolicy(scenario: Scenario, list: readonly number[]): ClientPolicy {
  switch (scenario.policy) {
    case "seed":
      return new SequentialClient(list, scenario.caches);
    case "nocache":
      return new SequentialClient(list, 0);
    default:
      throw new ForesightError("CONFIG", `Cannot run policy "${scenario.policy}": not implemented in this version`);
  }
}
