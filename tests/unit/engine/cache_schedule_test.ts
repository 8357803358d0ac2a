/**
 * Property test of the cache engine under random operations: pushes (some
 * that cannot fit), requests on connections, hits served, releases,
 * declines, closed connections and the start, in any order. It never answers
 * on a closed connection or twice at once on one, never exceeds its capacity
 * and never makes a count negative.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import type { CacheEffect, CacheEngine, CacheInput } from "../../../engine/cache.ts";
import type { PolicyName } from "../../../core/run/scenario.ts";
import { engine, kib } from "./cache_setup.ts";

const opArb = fc.oneof(
  fc.record({
    op: fc.constant("push" as const),
    file: fc.integer({ min: 1, max: 10 }),
    count: fc.integer({ min: 0, max: 3 }),
  }),
  fc.record({
    op: fc.constant("request" as const),
    conn: fc.integer({ min: 1, max: 6 }),
    file: fc.integer({ min: 1, max: 10 }),
  }),
  fc.record({ op: fc.constant("served" as const), pick: fc.nat() }),
  fc.record({
    op: fc.constant("release" as const),
    client: fc.integer({ min: 0, max: 1 }),
    files: fc.uniqueArray(fc.integer({ min: 1, max: 10 }), { maxLength: 6 }),
  }),
  fc.record({ op: fc.constant("decline" as const), file: fc.integer({ min: 1, max: 10 }) }),
  fc.record({ op: fc.constant("close" as const), conn: fc.integer({ min: 1, max: 6 }) }),
  fc.record({ op: fc.constant("start" as const) }),
);
type Op = typeof opArb extends fc.Arbitrary<infer T> ? T : never;

/** A cache engine, and what its connections see. */
class Driven {
  readonly cache: CacheEngine;
  readonly step: (input: CacheInput) => CacheEffect[];
  /** Hits streaming: conn → file. */
  readonly streaming = new Map<number, number>();
  /** Connections closed so far; a closed one's slot gets a fresh id. */
  readonly closed = new Set<number>();
  readonly #ids = new Map<number, number>();
  #nextId = 100;

  constructor(readonly policy: PolicyName, capKiB: number) {
    ({ cache: this.cache, step: this.step } = engine(policy, capKiB));
  }

  #id(slot: number): number {
    return this.#ids.get(slot) ?? slot;
  }

  /** Carries out `o`; its effects, or undefined when it does not apply now. */
  apply(o: Op): CacheEffect[] | undefined {
    const step = this.step;
    switch (o.op) {
      case "push":
        return this.#push(o.file, o.count);
      case "request":
        return step({
          type: "requested",
          conn: this.#id(o.conn),
          client: o.conn % 2,
          file: o.file,
        });
      case "served": {
        const live = [...this.streaming];
        if (live.length === 0) return undefined;
        const [conn, file] = live[o.pick % live.length]!;
        this.streaming.delete(conn);
        return step({ type: "served", conn, file });
      }
      case "release":
        return step({ type: "released", client: o.client, files: o.files });
      case "decline":
        return step({ type: "declined", file: o.file, next: null });
      case "close": {
        this.closed.add(this.#id(o.conn));
        const out = step({ type: "connClosed", conn: this.#id(o.conn) });
        this.#ids.set(o.conn, this.#nextId++);
        return out;
      }
      case "start":
        return this.cache.warm ? undefined : step({ type: "started" });
    }
  }

  /** A push: one that cannot be taken (held already, or no room) throws. */
  #push(file: number, count: number): CacheEffect[] | undefined {
    const store = this.cache.store!;
    const pullThrough = this.policy === "lru" || this.policy === "belady";
    const input = { type: "pushBegan", file, size: kib(file), next: null, began: 0 } as const;
    if (store.get(file) || !store.fits(kib(file))) {
      assert.throws(() => this.step({ ...input, count }));
      return undefined;
    }
    return this.step({ ...input, count: pullThrough ? 0 : count });
  }

  /** Asserts the answers in `out` and the store's invariants. */
  check(out: CacheEffect[]): void {
    for (const e of out) {
      if (e.kind === "hit" || e.kind === "miss") {
        assert.ok(!this.closed.has(e.conn), `no answer on closed connection ${e.conn}`);
        assert.ok(!this.streaming.has(e.conn), `one answer at a time on ${e.conn}`);
      }
      if (e.kind === "hit") this.streaming.set(e.conn, e.file);
    }
    const store = this.cache.store!;
    let used = 0;
    for (const e of store.entries()) {
      assert.ok(e.count >= 0, `file ${e.file} count ${e.count}`);
      assert.ok(e.readers >= 0);
      used += e.size;
    }
    assert.equal(used, store.used);
    assert.ok(store.used <= store.capacity, `${store.used} of ${store.capacity}`);
  }
}

describe("CacheEngine under random operations", () => {
  it("never exceeds its capacity nor makes a count negative, whatever happens", () => {
    fc.assert(
      fc.property(
        fc.constantFrom<PolicyName>("seed", "foresight", "lru", "belady"),
        fc.integer({ min: 5, max: 40 }),
        fc.array(opArb, { maxLength: 120, size: "max" }),
        (policy, capKiB, ops) => {
          const d = new Driven(policy, capKiB);
          for (const o of ops) {
            const out = d.apply(o);
            if (out !== undefined) d.check(out);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
