/**
 * The bytes of one cached file, readable while they still arrive
 * (cut-through): a reader gets each part as soon as it is stored.
 *
 * @module
 */

import { ForesightError } from "../errors.ts";

/**
 * A fixed-size byte buffer filled in order and read concurrently.
 *
 * @example
 * ```ts
 * const buf = new FileBuffer(8);
 * buf.append(new Uint8Array(8));
 * for await (const part of buf.read(4)) console.log(part.length); // 4, 4
 * ```
 */
export class FileBuffer {
  readonly #data: Uint8Array;
  #filled = 0;
  #failed: Error | null = null;
  #wake: (() => void)[] = [];

  /** @param size total bytes */
  constructor(size: number) {
    this.#data = new Uint8Array(size);
  }

  /** Total bytes. */
  get size(): number {
    return this.#data.length;
  }
  /** Bytes stored so far. */
  get filled(): number {
    return this.#filled;
  }

  /** Stores the next part; throws PROTOCOL when it overruns the size. */
  append(part: Uint8Array): void {
    if (this.#filled + part.length > this.#data.length) {
      throw new ForesightError(
        "PROTOCOL",
        `Cannot store ${part.length} bytes: file holds ${this.#data.length}, ${this.#filled} already stored`,
      );
    }
    this.#data.set(part, this.#filled);
    this.#filled += part.length;
    this.#notify();
  }

  /** Marks the buffer as never to be completed; readers throw `reason`. */
  fail(reason: Error): void {
    this.#failed = reason;
    this.#notify();
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = [];
    for (const w of wake) w();
  }

  /** Yields the whole file in parts of at most `partBytes`, waiting for bytes not yet stored. */
  async *read(partBytes: number): AsyncGenerator<Uint8Array> {
    let at = 0;
    while (at < this.#data.length) {
      if (this.#failed) throw this.#failed;
      if (this.#filled === at) {
        await new Promise<void>((resolve) => this.#wake.push(resolve));
        continue;
      }
      const end = Math.min(this.#filled, at + partBytes);
      yield this.#data.subarray(at, end);
      at = end;
    }
  }
}
