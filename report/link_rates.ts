/**
 * Achieved against shaped per link class, from what the roles report (the
 * origin's `shapingToCaches` and `shapingToClients`, each cache's
 * `shapingToClients`: see core/links/link_meter.ts), and the warning a run gets when
 * a class falls short: its makespan then says more about the machine than
 * about the policy.
 *
 * @module
 */

import {
  achievedShare,
  addShaping,
  type LinkShaping,
  shapingFrom,
} from "../core/links/link_meter.ts";
import type { LinkName } from "./run_timeline.ts";

/** The classes in display order (as run_timeline.ts's LINKS, which imports this file). */
const LINKS: readonly { readonly name: LinkName; readonly label: string }[] = [
  { name: "originToCache", label: "origin → cache" },
  { name: "originToClient", label: "origin → client" },
  { name: "cacheToClient", label: "cache → client" },
];

/** One link class: what its links carried, and the share of the shaped rate achieved while busy. */
export interface LinkRate extends LinkShaping {
  /** `shapedMs / takenMs` (1 when nothing was carried). */
  achieved: number;
}

/** Achieved against shaped for each link class. */
export type LinkRates = Record<LinkName, LinkRate>;

/**
 * Below this share of its shaped rate a link class falls short. It errs
 * towards warning: a class off the critical path may lag a little at small
 * cost (8 caches × 32 clients at ×1 on a loaded machine: cache → client
 * 93.9 %, the makespan 0.6 % from the simulation's; in another such run
 * origin → cache 94.9 %, cache → client 92.7 %, the makespan 6 % off).
 */
export const SHORT_OF = 0.95;

/**
 * Below this share the warning says the machine cannot sustain the scale; from
 * here to {@link SHORT_OF}, that it did not fully (the makespan may differ).
 */
export const SEVERE_BELOW = 0.8;

/**
 * Link time (ms taken, summed over a class's links) a class must have been
 * busy for its share to count: a handful of quick transfers says little
 * about the machine.
 */
export const MIN_TAKEN_MS = 1000;

/**
 * Keeps the latest shaping each role reported (stats or summary) and sums it
 * per link class.
 *
 * @example
 * ```ts
 * const tally = new ShapingTally();
 * tally.record({ role: "cache", index: 0 }, { shapingToClients: { transfers: 2, bytes: 9, shapedMs: 60, takenMs: 100 } });
 * tally.rates().cacheToClient.achieved; // 0.6
 * ```
 */
export class ShapingTally {
  readonly #latest = new Map<string, Partial<Record<LinkName, LinkShaping>>>();

  /** Takes a role's stats or summary counters (other fields are ignored). */
  record(who: { role: string; index: number }, counters: Readonly<Record<string, unknown>>): void {
    const key = `${who.role} ${who.index}`;
    const seen = this.#latest.get(key) ?? {};
    if (who.role === "origin") {
      seen.originToCache = shapingFrom(counters.shapingToCaches) ?? seen.originToCache;
      seen.originToClient = shapingFrom(counters.shapingToClients) ?? seen.originToClient;
    } else if (who.role === "cache") {
      seen.cacheToClient = shapingFrom(counters.shapingToClients) ?? seen.cacheToClient;
    } else return;
    this.#latest.set(key, seen);
  }

  /** True once any role reported its shaping. */
  get any(): boolean {
    return this.#latest.size > 0;
  }

  /** Each class's sum and achieved share. */
  rates(): LinkRates {
    const all = [...this.#latest.values()];
    const rate = (name: LinkName): LinkRate => {
      const sum = addShaping(all.flatMap((s) => s[name] ? [s[name]] : []));
      return { ...sum, achieved: round4(achievedShare(sum)) };
    };
    return {
      originToCache: rate("originToCache"),
      originToClient: rate("originToClient"),
      cacheToClient: rate("cacheToClient"),
    };
  }
}

function round4(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}

/**
 * The link rates of a run from its roles' summaries (or latest stats).
 *
 * @example
 * ```ts
 * linkRates(summaries).originToCache.achieved; // e.g. 0.61
 * ```
 */
export function linkRates(
  summaries: readonly (Record<string, unknown> & { role: string; index?: unknown })[],
): LinkRates {
  const tally = new ShapingTally();
  for (const s of summaries) {
    tally.record({ role: s.role, index: typeof s.index === "number" ? s.index : 0 }, s);
  }
  return tally.rates();
}

/**
 * The classes that fell short: below {@link SHORT_OF} of their shaped rate
 * over at least {@link MIN_TAKEN_MS} of busy link time.
 *
 * @example
 * ```ts
 * shortClasses(rates); // ["originToCache"]
 * ```
 */
export function shortClasses(rates: LinkRates): LinkName[] {
  return LINKS.map((l) => l.name).filter((n) =>
    rates[n].takenMs >= MIN_TAKEN_MS && rates[n].achieved < SHORT_OF
  );
}

const pct = (x: number) => `${(100 * x).toFixed(x < 0.995 ? 1 : 0)} %`;

/**
 * Achieved ÷ shaped per class in a few words, e.g. "origin → cache 61.0 %,
 * origin → client 100 %, cache → client 97.2 %" (a class that carried
 * nothing: "idle").
 *
 * @example
 * ```ts
 * ratesText(rates);
 * ```
 */
export function ratesText(rates: LinkRates): string {
  return LINKS.map((l) =>
    `${l.label} ${rates[l.name].transfers ? pct(rates[l.name].achieved) : "idle"}`
  ).join(", ");
}

/**
 * The plain warning of a run whose links fell short of their shaped rate (none
 * when every class held it); `auto` when `--scale auto` chose the scale.
 *
 * @example
 * ```ts
 * shortfallWarning(rates, 20);
 * // "links origin → cache achieved 61.0 % of their shaped rate: this machine cannot sustain
 * //  --scale 20 for this scenario; the makespan is not comparable with the simulation; try
 * //  --scale auto or a lower --scale"
 * ```
 */
export function shortfallWarning(
  rates: LinkRates,
  scale: number,
  auto = false,
): string | undefined {
  const short = shortClasses(rates);
  if (!short.length) return undefined;
  const parts = short.map((n) =>
    `${LINKS.find((l) => l.name === n)!.label} achieved ${pct(rates[n].achieved)}`
  );
  // Mild: a class off the critical path may lag this much at little cost to the makespan.
  const mild = short.every((n) => rates[n].achieved >= SEVERE_BELOW);
  return `links ${parts.join(", ")} of their shaped rate: ` +
    (mild
      ? `this machine did not fully sustain --scale ${scale} for this scenario; the makespan ` +
        "may differ from the simulation's; "
      : `this machine cannot sustain --scale ${scale} for this scenario; the makespan is not ` +
        "comparable with the simulation; ") +
    (auto
      ? "--scale auto chose this scale, so the machine got busier since its trials or they " +
        "misjudged it: try a lower --scale"
      : "try --scale auto or a lower --scale");
}
