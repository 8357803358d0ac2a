/**
 * The simulator's agenda: actions at virtual times, taken earliest first and,
 * at one time, in the order they were scheduled (so every run of the same
 * inputs takes the same steps).
 *
 * @module
 */

interface Entry {
  readonly time: number;
  readonly seq: number;
  readonly run: () => void;
}

/**
 * A binary min-heap of timed actions.
 *
 * @example
 * ```ts
 * const agenda = new EventQueue();
 * agenda.at(2, () => console.log("second"));
 * agenda.at(1, () => console.log("first"));
 * while (agenda.step()) {}
 * ```
 */
export class EventQueue {
  readonly #heap: Entry[] = [];
  #seq = 0;
  #now = 0;
  #taken = 0;

  /** The time of the action being taken (or last taken). */
  get now(): number {
    return this.#now;
  }
  /** Actions taken so far. */
  get taken(): number {
    return this.#taken;
  }
  /** Actions waiting. */
  get size(): number {
    return this.#heap.length;
  }

  /** Schedules `run` at `time` (never before now). */
  at(time: number, run: () => void): void {
    const heap = this.#heap;
    const entry: Entry = { time: time < this.#now ? this.#now : time, seq: this.#seq++, run };
    let i = heap.length;
    heap.push(entry);
    while (i > 0) {
      const up = (i - 1) >> 1;
      if (!before(entry, heap[up]!)) break;
      heap[i] = heap[up]!;
      i = up;
    }
    heap[i] = entry;
  }

  /** Takes the earliest action; false when none is left. */
  step(): boolean {
    const heap = this.#heap;
    const top = heap[0];
    if (!top) return false;
    const last = heap.pop()!;
    if (heap.length > 0) {
      let i = 0;
      const n = heap.length;
      while (true) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const child = r < n && before(heap[r]!, heap[l]!) ? r : l;
        if (!before(heap[child]!, last)) break;
        heap[i] = heap[child]!;
        i = child;
      }
      heap[i] = last;
    }
    this.#now = top.time;
    this.#taken++;
    top.run();
    return true;
  }
}

function before(a: Entry, b: Entry): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}
