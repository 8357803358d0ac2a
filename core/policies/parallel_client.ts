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
import { FileSet } from "../collections/file_set.ts";
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
  #queues = new SourceMap<Queue>();
  /** The same queues in the order they were made, for polls (iterating an array allocates nothing). */
  #order: Queue[] = [];
  /** Per source: the file asked of it now. */
  readonly #outstanding = new SourceMap<number>();
  /** The files asked of some source now (the values of #outstanding: a file is asked of one at most). */
  readonly #asked: Ids;
  readonly #done: Ids;
  readonly #lost = new Set<Source>();

  /**
   * @param list the client's distinct files
   * @param caches number of caches (0: every file from the origin)
   */
  constructor(list: readonly number[], caches: number) {
    this.#list = [...list].sort((a, b) => a - b);
    this.#caches = caches;
    const largest = this.#list.length > 0 ? this.#list[this.#list.length - 1]! : 0;
    this.#asked = new Ids(largest);
    this.#done = new Ids(largest);
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
      // Its own record first: the driver's view is a call, and usually busy too.
      if (this.#outstanding.has(source) || busy.has(source)) continue;
      while (queue.at < queue.files.length) {
        const next = queue.files[queue.at]!;
        if (!this.#done.has(next) && !this.#asked.has(next)) break;
        queue.at++;
      }
      const file = queue.files[queue.at];
      if (file === undefined) continue;
      this.#outstanding.set(source, file);
      this.#asked.add(file);
      (fetches ??= []).push({ file, source });
    }
    return fetches ?? NO_FETCHES;
  }

  /** Nothing is asked of `source` any more. */
  #answered(source: Source): void {
    const file = this.#outstanding.get(source);
    if (file === undefined) return;
    this.#outstanding.delete(source);
    this.#asked.delete(file);
  }

  received(file: number, source: Source): void {
    if (this.#outstanding.get(source) !== file) return;
    this.#answered(source);
    this.#done.add(file);
    this.#queues.get(source)!.at++;
  }

  missed(file: number, source: Source): void {
    if (this.#outstanding.get(source) !== file) return;
    this.#answered(source);
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
    this.#answered(source);
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
    this.#answered(source);
  }

  /**
   * Routes each listed file to its source; each source fetches its routed
   * files in the order given, then its other files ascending. Call before the
   * first poll.
   */
  route(routes: readonly [number, Source][]): void {
    // As bits (the list ascends: its last id is the largest; a routed file is one of it).
    const largest = this.#list.length > 0 ? this.#list[this.#list.length - 1]! : 0;
    const mine = new FileSet(largest);
    for (let i = 0; i < this.#list.length; i++) mine.add(this.#list[i]!);
    const routed = new FileSet(largest);
    this.#queues = new SourceMap();
    this.#order = [];
    for (let i = 0; i < routes.length; i++) {
      const [file, source] = routes[i]!;
      if (!mine.has(file) || routed.has(file)) continue;
      routed.add(file);
      this.#queue(source).files.push(file);
    }
    for (let i = 0; i < this.#list.length; i++) {
      const file = this.#list[i]!;
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

/**
 * A set of file ids (integers): bits up to the client's largest listed id
 * (what it fetches), a `Set` for any other (a file outside its list, after a
 * rejoin).
 */
class Ids {
  readonly #bits: FileSet;
  readonly #largest: number;
  readonly #other = new Set<number>();

  constructor(largest: number) {
    this.#largest = largest;
    this.#bits = new FileSet(largest);
  }

  get size(): number {
    return this.#bits.size + this.#other.size;
  }

  has(id: number): boolean {
    // The bits hold no id out of their range.
    return this.#bits.has(id) || (this.#other.size > 0 && this.#other.has(id));
  }

  add(id: number): void {
    if (id >= 0 && id <= this.#largest) this.#bits.add(id);
    else this.#other.add(id);
  }

  delete(id: number): void {
    if (id >= 0 && id <= this.#largest) this.#bits.delete(id);
    else this.#other.delete(id);
  }
}
