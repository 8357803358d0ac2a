/**
 * Origin side of `foresight`: plans every route, warm-up and push from the
 * known demand (see {@link planRoutes}), then plays the plan: each cache is
 * hinted, and granted, exactly its planned pushes in order, and each push
 * carries the number of requests routed through that cache.
 *
 * @module
 */

import type { OriginPolicy, OriginView, Push, Source } from "./policy.ts";
import { type PlanRates, planRoutes, type RoutePlan } from "../routing/route_plan.ts";

/**
 * The foresight origin policy.
 *
 * @example
 * ```ts
 * const origin = new ForesightOrigin(view, { originClient: 1024e3, originCache: 2048e3, cacheClient: 3072e3 });
 * const warm = origin.warmup();
 * const routes = origin.routes(0); // send as the client's plan
 * ```
 */
export class ForesightOrigin implements OriginPolicy {
  /** The plan this origin plays. */
  readonly plan: RoutePlan;
  readonly #at: number[];

  /**
   * @param view the lists, caches, capacity and sizes
   * @param rates link rates in bytes per second
   */
  constructor(view: OriginView, rates: PlanRates) {
    this.plan = planRoutes({
      lists: view.lists,
      caches: view.caches,
      capacity: view.capacity,
      size: (f) => view.size(f),
      rates,
    });
    this.#at = new Array<number>(view.caches).fill(0);
  }

  warmup(): Push[] {
    return this.plan.warm.flatMap((files, cache) => files.map((file) => ({ cache, file })));
  }

  hint(cache: number): number | null {
    return this.plan.pushes[cache]?.[this.#at[cache]!] ?? null;
  }

  grant(cache: number, file: number): boolean {
    if (this.hint(cache) !== file) return false;
    this.#at[cache]!++;
    return true;
  }

  upcoming(cache: number): number[] {
    return this.plan.pushes[cache]?.slice(this.#at[cache]!) ?? [];
  }

  routes(client: number): [number, Source][] {
    return this.plan.routes[client] ?? [];
  }

  pushCount(_cache: number, file: number): number {
    return this.plan.counts.get(file) ?? 0;
  }
}
