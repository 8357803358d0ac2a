/**
 * `--trace-inputs FILE`: a role's engine inputs, kept in memory while it runs
 * and written at the end as JSON lines — a header (`{"trace":
 * "foresight-inputs", role, index, scenario?}`), then one `{now, input, effects}` per
 * `handle` call, times on the role's clock (epoch milliseconds).
 * `bench/trace_diff.ts` compares such files with the simulator's.
 *
 * @module
 */

import { writeFileSync } from "node:fs";
import type { InputRecord } from "../engine/input_trace.ts";
import type { Scenario } from "../core/run/scenario.ts";
import { ForesightError } from "../errors.ts";

/**
 * The inputs of one role's engine, for `--trace-inputs`.
 *
 * @example
 * ```ts
 * const trace = new InputTraceFile("cache", "/tmp/cache.jsonl");
 * await runCache({ ...options, traceInputs: trace.record });
 * trace.write(0);
 * ```
 */
export class InputTraceFile {
  /** Pass to the role's `traceInputs` (undefined when no file was asked for). */
  readonly record: ((r: InputRecord) => void) | undefined;
  readonly #role: string;
  readonly #path: string | undefined;
  readonly #lines: string[] = [];

  /**
   * @param role the role's name (origin, cache, client)
   * @param path where to write, or undefined for no trace
   */
  constructor(role: string, path: string | undefined) {
    this.#role = role;
    this.#path = path === "" ? undefined : path;
    this.record = this.#path === undefined
      ? undefined
      : (r) => void this.#lines.push(JSON.stringify(r));
  }

  /**
   * Writes the file (nothing without a path).
   *
   * @param index the role's index in the run
   * @param scenario the run's scenario (the origin knows it from the start)
   * @throws {ForesightError} CONFIG when the file cannot be written
   */
  write(index: number, scenario?: Scenario): void {
    if (this.#path === undefined) return;
    const header = JSON.stringify({ trace: "foresight-inputs", role: this.#role, index, scenario });
    try {
      writeFileSync(this.#path, [header, ...this.#lines].join("\n") + "\n");
    } catch (e) {
      throw new ForesightError(
        "CONFIG",
        `Cannot write the input trace ${this.#path}: ${(e as Error).message}`,
        { cause: e },
      );
    }
  }
}
