/**
 * The lower bound's linear program (see sim/lower_bound.ts for the model and
 * why it is a bound), built over classes: the cacheable files of shard k
 * that exactly the clients S request, W[k,S] their bytes.
 *
 * @module
 */

import { shardOf } from "../core/run/scenario.ts";
import type { MinProgram, ProgramRow } from "./lp_program.ts";

/** What the bound reads (rates in bytes per second, sizes in bytes). */
export interface BoundInput {
  readonly lists: readonly (readonly number[])[];
  readonly caches: number;
  readonly capacity: number;
  size(file: number): number;
  readonly rateOriginClient: number;
  readonly rateOriginCache: number;
  readonly rateCacheClient: number;
}

/** A scenario's classes and per-client demand. */
export interface Classes {
  /** Per class: its cache, clients and bytes. */
  list: { cache: number; clients: number[]; bytes: number }[];
  /** Per client: all its bytes. */
  demand: number[];
  /** Per client: bytes that cannot pass through a cache. */
  uncacheable: number[];
}

/**
 * Groups the requested files into classes (cache, set of requesting clients).
 *
 * @example
 * ```ts
 * classify({ ...input, lists: [[1, 2], [2]] }).list.length; // 2 with one cache: {0} and {0, 1}
 * ```
 */
export function classify(input: BoundInput): Classes {
  const { lists, caches, capacity, size } = input;
  const requesters = new Map<number, number[]>();
  lists.forEach((list, c) => {
    for (const f of list) {
      const r = requesters.get(f);
      if (r) r.push(c);
      else requesters.set(f, [c]);
    }
  });
  const demand = lists.map(() => 0);
  const uncacheable = lists.map(() => 0);
  const byKey = new Map<string, { cache: number; clients: number[]; bytes: number }>();
  for (const [f, who] of requesters) {
    const s = size(f);
    for (const c of who) demand[c]! += s;
    if (caches === 0 || s > capacity) {
      for (const c of who) uncacheable[c]! += s;
      continue;
    }
    const cache = shardOf(f, caches);
    const key = `${cache}:${who.join(",")}`;
    const cls = byKey.get(key);
    if (cls) cls.bytes += s;
    else byKey.set(key, { cache, clients: who, bytes: s });
  }
  return { list: [...byKey.values()], demand, uncacheable };
}

/**
 * The program (minimise T = x[0], rows Σ coef·x ≥ rhs, x ≥ 0) and its time
 * unit: bytes are in B0 (the largest demand) and seconds in T0 = B0 /
 * rateOriginClient, so every number is near 1 and the optimum × `t0` is T*
 * in seconds. Variables: 0 = T, then Y per class, then V per (class, client).
 *
 * @example
 * ```ts
 * const { program, t0 } = boundProgram(input, classify(input), false);
 * denseSolver.minimize(program)! * t0; // T* in seconds
 * ```
 */
export function boundProgram(
  input: BoundInput,
  cls: Classes,
  sequential: boolean,
): { program: MinProgram; t0: number } {
  const clients = input.lists.length;
  const b0 = Math.max(1, ...cls.demand);
  const t0 = b0 / input.rateOriginClient;
  const a = 1;
  const g = input.rateOriginCache / input.rateOriginClient;
  const b = input.rateCacheClient / input.rateOriginClient;
  const yOf: number[] = [];
  const vOf: number[][] = [];
  /** Per (cache, client): the V variables of that link; per client: all its V. */
  const link: number[][] = Array.from({ length: input.caches * clients }, () => []);
  const taken: number[][] = Array.from({ length: clients }, () => []);
  let next = 1;
  for (const c of cls.list) {
    yOf.push(next++);
    vOf.push(c.clients.map((client) => {
      const v = next++;
      link[c.cache * clients + client]!.push(v);
      taken[client]!.push(v);
      return v;
    }));
  }
  const rows: ProgramRow[] = [];
  const row = (rhs: number, terms: [number, number][]) => rows.push({ rhs, terms });
  for (let k = 0; k < input.caches; k++) {
    const terms: [number, number][] = [[0, g]];
    cls.list.forEach((c, j) => c.cache === k && terms.push([yOf[j]!, -1]));
    row(-input.capacity / b0, terms); // g·T − Σ Y ≥ −C
  }
  cls.list.forEach((c, j) => {
    row(-c.bytes / b0, [[yOf[j]!, -1]]); // −Y ≥ −W
    c.clients.forEach((_, i) => row(0, [[yOf[j]!, 1], [vOf[j]![i]!, -1]])); // Y − V ≥ 0
  });
  for (const vs of link) {
    if (vs.length > 0) row(0, [[0, b], ...vs.map((v): [number, number] => [v, -1])]); // b·T − Σ V ≥ 0
  }
  for (let client = 0; client < clients; client++) {
    const vs = taken[client]!;
    const d = cls.demand[client]! / b0;
    row(d, [[0, a], ...vs.map((v): [number, number] => [v, 1])]); // a·T + Σ V ≥ D
    if (sequential) {
      // (D − ΣV)/a + ΣV/b ≤ T  ⇔  T + (1/a − 1/b)·ΣV ≥ D/a
      row(d / a, [[0, 1], ...vs.map((v): [number, number] => [v, 1 / a - 1 / b])]);
    }
  }
  return { program: { vars: next, rows }, t0 };
}
