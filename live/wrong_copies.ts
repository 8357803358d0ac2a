/**
 * A client's files whose copy came wrong: each is asked of the origin again
 * (twice at most) until a right copy comes or the origin refuses it. Counts
 * the files fetched again and the ones refused, and says when none is
 * pending any more.
 *
 * @module
 */

import type { Logger } from "../core/run/log.ts";
import { ForesightError } from "../errors.ts";
import type { RefuseMessage } from "../protocol/mod.ts";
import { MAX_AGAIN } from "./limits.ts";

/** What {@link WrongCopies} needs. */
export interface WrongCopiesOptions {
  /** Sends the origin `request {file, again: true}`. */
  readonly ask: (file: number) => void;
  /** File `id`'s name, for the logs. */
  readonly name: (id: number) => string;
  readonly log: Logger;
}

/**
 * The files asked again, and what came of them.
 *
 * @example
 * ```ts
 * const wrong = new WrongCopies({ ask: (file) => send(file), name, log });
 * wrong.came(7, false); // asks again
 * wrong.came(7, true); // wrong.refetched === 1, wrong.pending === false
 * ```
 */
export class WrongCopies {
  /** Files whose wrong copy was replaced by a verified one. */
  refetched = 0;
  /** Files the origin refused (changed on disk since it listed them). */
  failed = 0;
  /** The first refusal's message, if any. */
  error: string | undefined;
  readonly #o: WrongCopiesOptions;
  /** Files asked again, with how many times. */
  readonly #asked = new Map<number, number>();

  /** @param options how to ask the origin, name files and log */
  constructor(options: WrongCopiesOptions) {
    this.#o = options;
  }

  /** True while a file is asked again and neither a right copy nor a refusal has come. */
  get pending(): boolean {
    return this.#asked.size > 0;
  }

  /** True when `file` was asked again (a copy marked `again` may come for it). */
  asked(file: number): boolean {
    return this.#asked.has(file);
  }

  /**
   * A copy of `file` came (`again`: one asked again), right or not. A wrong one
   * is asked again, unless it was asked twice already: then it stays wrong.
   */
  came(file: number, ok: boolean, again = true): void {
    if (ok) {
      if (again && this.#asked.delete(file)) this.refetched++;
      return;
    }
    const tries = (this.#asked.get(file) ?? 0) + 1;
    const name = this.#o.name(file);
    if (tries > MAX_AGAIN) {
      this.#asked.delete(file);
      this.#o.log.log("error", "file still wrong after asking again", { file, name, tries });
      return;
    }
    this.#asked.set(file, tries);
    this.#o.log.log("warn", "wrong copy discarded; asking the origin again", { file, name });
    this.#o.ask(file);
  }

  /**
   * The origin refused a file asked again: it is failed (not corrupt).
   *
   * @throws {ForesightError} PROTOCOL for a file not asked again
   */
  refused(m: RefuseMessage): void {
    if (!this.#asked.delete(m.file)) {
      throw new ForesightError("PROTOCOL", `Cannot take a refusal of file ${m.file}: not asked`);
    }
    this.failed++;
    this.error ??= m.message;
    this.#o.log.log("error", "the origin refused a file", {
      file: m.file,
      code: m.code,
      reason: m.message,
    });
  }
}
