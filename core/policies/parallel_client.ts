/**
 * A client that keeps one fetch outstanding on every source at once (the
 * origin and each cache), so all of its links work in parallel. Each source
 * has its own queue: by default every file goes to its shard's cache (to the
 * origin when there are no caches), ascending; a plan from the origin
 * assigns sources and orders each queue; a cache's miss sends the file to
 * the origin next, and the origin's miss (its demand has just moved to a
 * cache) back to the shard's cache next.
 *
 * @module
 */

import {
  type Busy,
  type ClientPolicy,
  type Fetch,
  NO_FETCHES,
  ORIGIN_SOURCE,
  type Source,
} from "./policy.ts";
import { SourceMap } from "../collections/source_map.ts";
import { shardOf } from "../run/scenario.ts";

/** The files a client fetches from one source, in order; `at` is the next. */
interface Queue {
  readonly source: Source;
  files: number[];
  at: number;
}

/**
 * Client side of `lru`, `belady` and `foresight`.
 *
 * @example
 * ```ts
 * const client = new ParallelClient([3, 8, 9], 2);
 * client.route([[9, -1], [8, 0], [3, 1]]);
 * client.poll(new Set()); // [{file: 9, source: -1}, {file: 8, source: 0}, {file: 3, source: 1}]
 * ```
 */
export class ParallelClient implements ClientPolicy {
  readonly #list: readonly number[];
  readonly #caches: number;
  /** Per source: its files in fetch order, and the position of the next one. */
  #queues = new Map<Source, Queue>();
  /** The same queues in the Map's order, for polls (iterating an array allocates nothing). */
  #order: Queue[] = [];
  readonly #outstanding = new SourceMap<number>();
  readonly #done = new Set<number>();
  readonly #lost = new Set<Source>();

  /**
   * @param list the client's distinct files
   * @param caches number of caches (0: every file from the origin)
   */
  constructor(list: readonly number[], caches: number) {
    this.#list = [...list].sort((a, b) => a - b);
    this.#caches = caches;
    this.route([]);
  }

  get finished(): boolean {
    return this.#done.size >= this.#list.length;
  }

  poll(busy: Busy): readonly Fetch[] {
    let fetches: Fetch[] | undefined;
    // A file asked of one source is not asked of another meanwhile (after
    // losses and rejoins a file can sit in two queues): that fetch ends as
    // the file, or as a miss or a loss that queues it again.
    for (let i = 0; i < this.#order.length; i++) {
      const queue = this.#order[i]!;
      const source = queue.source;
      if (busy.has(source) || this.#outstanding.has(source)) continue;
      while (queue.at < queue.files.length) {
        const next = queue.files[queue.at]!;
        if (!this.#done.has(next) && !this.#asked(next)) break;
        queue.at++;
      }
      const file = queue.files[queue.at];
      if (file === undefined) continue;
      this.#outstanding.set(source, file);
      (fetches ??= []).push({ file, source });
    }
    return fetches ?? NO_FETCHES;
  }

  /** Whether `file` is asked of some source now (a few sources: a scan allocates nothing). */
  #asked(file: number): boolean {
    return this.#outstanding.includes(file);
  }

  received(file: number, source: Source): void {
    if (this.#outstanding.get(source) !== file) return;
    this.#outstanding.delete(source);
    this.#done.add(file);
    this.#queues.get(source)!.at++;
  }

  missed(file: number, source: Source): void {
    if (this.#outstanding.get(source) !== file) return;
    this.#outstanding.delete(source);
    this.#queues.get(source)!.at++;
    // A cache miss goes to the origin next; an origin "miss" means a cache
    // has just taken the file's demand: back to the shard's cache, next.
    const shard = this.#caches === 0 ? ORIGIN_SOURCE : shardOf(file, this.#caches);
    const to = source !== ORIGIN_SOURCE || this.#lost.has(shard) ? ORIGIN_SOURCE : shard;
    const queue = this.#queue(to);
    // Next: right after the fetch outstanding there, if any.
    queue.files.splice(queue.at + (this.#outstanding.has(to) ? 1 : 0), 0, file);
  }

  lost(source: Source): void {
    if (source === ORIGIN_SOURCE) return;
    this.#lost.add(source);
    const queue = this.#queues.get(source);
    if (!queue) return;
    this.#queues.delete(source);
    this.#order = this.#order.filter((q) => q !== queue);
    this.#outstanding.delete(source);
    const origin = this.#queue(ORIGIN_SOURCE);
    for (const file of queue.files.slice(queue.at)) {
      if (!this.#done.has(file)) origin.files.push(file);
    }
  }

  regain(source: Source, files: readonly number[]): void {
    if (source === ORIGIN_SOURCE) return;
    this.#lost.delete(source);
    const back = new Set(files.filter((f) => !this.#done.has(f)));
    // Out of the origin's queue (but not the fetch outstanding there: it ends
    // as a file, or as a miss that sends it back to this source).
    const origin = this.#queues.get(ORIGIN_SOURCE);
    if (origin) {
      const current = this.#outstanding.get(ORIGIN_SOURCE);
      const head = origin.files.slice(0, origin.at);
      const rest = origin.files.slice(origin.at).filter((f) => f === current || !back.has(f));
      origin.files = [...head, ...rest];
    }
    const queue = this.#queue(source);
    queue.files = [
      ...queue.files.slice(queue.at),
      ...[...back].filter((f) => f !== this.#outstanding.get(ORIGIN_SOURCE)),
    ];
    queue.at = 0;
    this.#outstanding.delete(source);
  }

  /**
   * Routes each listed file to its source; each source fetches its routed
   * files in the order given, then its other files ascending. Call before the
   * first poll.
   */
  route(routes: readonly [number, Source][]): void {
    const mine = new Set(this.#list);
    const routed = new Set<number>();
    this.#queues = new Map();
    this.#order = [];
    for (const [file, source] of routes) {
      if (!mine.has(file) || routed.has(file)) continue;
      routed.add(file);
      this.#queue(source).files.push(file);
    }
    for (const file of this.#list) {
      if (routed.has(file)) continue;
      this.#queue(this.#caches > 0 ? shardOf(file, this.#caches) : ORIGIN_SOURCE).files.push(file);
    }
  }

  #queue(source: Source): Queue {
    let queue = this.#queues.get(source);
    if (!queue) {
      this.#queues.set(source, queue = { source, files: [], at: 0 });
      this.#order.push(queue);
    }
    return queue;
  }
}
