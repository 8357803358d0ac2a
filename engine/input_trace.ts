/**
 * A recorder of what an engine is fed: every `handle(input, now)` call, with
 * its input, its time and the effects it returned. It wraps one engine
 * instance's `handle` (nothing changes for an engine not wrapped, so it costs
 * nothing when off). The live roles and the simulator record the same way,
 * so two runs of one scenario can be compared input by input
 * (`bench/trace_diff.ts`).
 *
 * @module
 */

/** One `handle` call: the driver's time, the input, the effects returned. */
export interface InputRecord {
  readonly now: number;
  readonly input: unknown;
  readonly effects: readonly unknown[];
}

/** Anything with an engine's `handle(input, now) → effects`. */
export interface Handles<I, E> {
  handle(input: I, now: number): E[];
}

/**
 * Wraps `engine.handle` so that every call is passed to `record` after it
 * returned (a call that throws is recorded with the error as its only effect,
 * then rethrown).
 *
 * @param engine the engine to record (its `handle` is replaced on this instance)
 * @param record receives each call
 * @returns `engine`
 * @example
 * ```ts
 * const records: InputRecord[] = [];
 * recordInputs(new CacheEngine(), (r) => records.push(r));
 * ```
 */
export function recordInputs<I, E, T extends Handles<I, E>>(
  engine: T,
  record: (r: InputRecord) => void,
): T {
  const handle = engine.handle.bind(engine);
  engine.handle = (input: I, now: number): E[] => {
    let effects: E[];
    try {
      effects = handle(input, now);
    } catch (e) {
      record({ now, input, effects: [{ kind: "threw", message: String(e) }] });
      throw e;
    }
    record({ now, input, effects });
    return effects;
  };
  return engine;
}
