/**
 * The simulator's agenda: events at virtual times, taken earliest first and,
 * at one time, in the order they were scheduled (so every run of the same
 * inputs takes the same steps).
 *
 * An event is a call `receiver.take(code, index, arg)`: a typed record, not a
 * closure, kept in typed arrays, so scheduling one allocates nothing once the
 * arrays have grown. Events for the present moment (control messages take no
 * time) wait in a first-in first-out list beside the heap: they come after
 * everything already scheduled for now, so a list keeps their order at no
 * heap cost.
 *
 * @module
 */

/** What an event calls when it is taken. */
export interface Receiver {
  /** The event scheduled with `code`, `index` and `arg` is taken (the agenda's `now` is its time). */
  take(code: number, index: number, arg: unknown): void;
}

/** Runs the closure of an event scheduled with {@link EventQueue.at}. */
const CALL: Receiver = {
  take(_code: number, _index: number, arg: unknown): void {
    (arg as () => void)();
  },
};

/**
 * A binary min-heap of timed events, plus a list of the events due now.
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
  // Each event lives in a slot: its fields in parallel arrays, indexed by slot.
  #time = new Float64Array(64);
  #seq = new Float64Array(64);
  #code = new Int32Array(64);
  #index = new Int32Array(64);
  #to: (Receiver | undefined)[] = new Array(64).fill(undefined);
  #arg: unknown[] = new Array(64).fill(undefined);
  /** Slots not in use. */
  #free = Int32Array.from({ length: 64 }, (_, i) => 63 - i);
  #freeCount = 64;
  /** The heap of later events, by slot: earliest (time, seq) first. */
  #heap = new Int32Array(64);
  #size = 0;
  /** The events due now, by slot, in order: `#fifo[#head..]`. */
  #fifo: number[] = [];
  #head = 0;
  #nextSeq = 0;
  #now = 0;
  #taken = 0;

  /** The time of the event being taken (or last taken). */
  get now(): number {
    return this.#now;
  }
  /** Events taken so far. */
  get taken(): number {
    return this.#taken;
  }
  /** Events waiting. */
  get size(): number {
    return this.#size + this.#fifo.length - this.#head;
  }

  /** Schedules `run` at `time` (never before now). */
  at(time: number, run: () => void): void {
    this.post(time, CALL, 0, 0, run);
  }

  /** Schedules `to.take(code, index, arg)` at `time` (never before now). */
  post(time: number, to: Receiver, code: number, index: number, arg: unknown): void {
    if (this.#freeCount === 0) this.#grow();
    const slot = this.#free[--this.#freeCount]!;
    this.#seq[slot] = this.#nextSeq++;
    this.#to[slot] = to;
    this.#code[slot] = code;
    this.#index[slot] = index;
    this.#arg[slot] = arg;
    if (time <= this.#now) {
      // Due now: after every event already scheduled (a smaller seq), so last in the list.
      this.#time[slot] = this.#now;
      this.#fifo.push(slot);
      return;
    }
    this.#time[slot] = time;
    this.#siftUp(slot);
  }

  /** Takes the earliest event; false when none is left. */
  step(): boolean {
    let slot: number;
    if (this.#head < this.#fifo.length) {
      const first = this.#fifo[this.#head]!;
      const top = this.#heap[0]!;
      // The heap's events are all later than now, or due now and scheduled earlier.
      if (this.#size > 0 && this.#time[top] === this.#now && this.#seq[top]! < this.#seq[first]!) {
        slot = this.#pop();
      } else {
        slot = first;
        if (++this.#head === this.#fifo.length) {
          this.#fifo.length = 0;
          this.#head = 0;
        }
      }
    } else if (this.#size > 0) {
      slot = this.#pop();
    } else return false;
    this.#now = this.#time[slot]!;
    this.#taken++;
    const to = this.#to[slot]!;
    const arg = this.#arg[slot];
    this.#to[slot] = undefined;
    this.#arg[slot] = undefined;
    this.#free[this.#freeCount++] = slot;
    to.take(this.#code[slot]!, this.#index[slot]!, arg);
    return true;
  }

  /** Whether the event in slot `a` comes before the one in slot `b`. */
  #before(a: number, b: number): boolean {
    const ta = this.#time[a]!;
    const tb = this.#time[b]!;
    return ta < tb || (ta === tb && this.#seq[a]! < this.#seq[b]!);
  }

  #siftUp(slot: number): void {
    const heap = this.#heap;
    let i = this.#size++;
    while (i > 0) {
      const up = (i - 1) >> 1;
      if (!this.#before(slot, heap[up]!)) break;
      heap[i] = heap[up]!;
      i = up;
    }
    heap[i] = slot;
  }

  /** Removes and returns the heap's earliest slot. */
  #pop(): number {
    const heap = this.#heap;
    const top = heap[0]!;
    const n = --this.#size;
    if (n > 0) {
      const last = heap[n]!;
      let i = 0;
      while (true) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const child = r < n && this.#before(heap[r]!, heap[l]!) ? r : l;
        if (!this.#before(heap[child]!, last)) break;
        heap[i] = heap[child]!;
        i = child;
      }
      heap[i] = last;
    }
    return top;
  }

  /** Doubles the slots (every slot is in use). */
  #grow(): void {
    const n = this.#time.length;
    const wider = <T extends Float64Array | Int32Array>(a: T, make: (n: number) => T): T => {
      const b = make(2 * n);
      b.set(a);
      return b;
    };
    this.#time = wider(this.#time, (m) => new Float64Array(m));
    this.#seq = wider(this.#seq, (m) => new Float64Array(m));
    this.#code = wider(this.#code, (m) => new Int32Array(m));
    this.#index = wider(this.#index, (m) => new Int32Array(m));
    this.#heap = wider(this.#heap, (m) => new Int32Array(m));
    this.#free = new Int32Array(2 * n);
    for (let i = 0; i < n; i++) this.#free[i] = 2 * n - 1 - i;
    this.#freeCount = n;
    for (let i = n; i < 2 * n; i++) {
      this.#to.push(undefined);
      this.#arg.push(undefined);
    }
  }
}
