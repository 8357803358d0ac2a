/**
 * Maximum flow (Dinic's algorithm) over real capacities, for the foresight
 * planner's feasibility checks.
 *
 * @module
 */

/**
 * A flow network: add nodes and edges, then {@link FlowNetwork.maxFlow}.
 * Capacities below `epsilon` count as zero.
 *
 * @example
 * ```ts
 * const net = new FlowNetwork(3);
 * const a = net.addEdge(0, 1, 5);
 * net.addEdge(1, 2, 3);
 * net.maxFlow(0, 2); // 3
 * net.flow(a); // 3
 * ```
 */
export class FlowNetwork {
  readonly #epsilon: number;
  readonly #head: Int32Array;
  // Edges in typed arrays (edge e and its reverse e ^ 1), grown by doubling.
  #to = new Int32Array(64);
  #cap = new Float64Array(64);
  #next = new Int32Array(64);
  #initial = new Float64Array(64);
  #edges = 0;

  /**
   * @param nodes number of nodes (0..nodes-1)
   * @param epsilon residual capacity treated as none
   */
  constructor(nodes: number, epsilon = 1e-9) {
    this.#head = new Int32Array(nodes).fill(-1);
    this.#epsilon = epsilon;
  }

  /** Adds an edge `from → to` of capacity `cap` (negative counts as 0); returns its id. */
  addEdge(from: number, to: number, cap: number): number {
    const id = this.#edges;
    if (id + 2 > this.#to.length) this.#grow();
    const c = Math.max(0, cap);
    this.#push(from, to, c);
    this.#push(to, from, 0);
    return id;
  }

  /** Flow on edge `id` after {@link maxFlow}. */
  flow(id: number): number {
    return this.#initial[id]! - this.#cap[id]!;
  }

  /** Pushes the most flow from `source` to `sink` and returns its value. */
  maxFlow(source: number, sink: number): number {
    const n = this.#head.length;
    let total = 0;
    const level = new Int32Array(n);
    const iter = new Int32Array(n);
    while (true) {
      level.fill(-1);
      level[source] = 0;
      const queue = [source];
      for (let q = 0; q < queue.length; q++) {
        const u = queue[q]!;
        for (let e = this.#head[u]!; e >= 0; e = this.#next[e]!) {
          const v = this.#to[e]!;
          if (level[v]! < 0 && this.#cap[e]! > this.#epsilon) {
            level[v] = level[u]! + 1;
            queue.push(v);
          }
        }
      }
      if (level[sink]! < 0) return total;
      for (let i = 0; i < n; i++) iter[i] = this.#head[i]!;
      for (let f = this.#augment(source, sink, Infinity, level, iter); f > 0;) {
        total += f;
        f = this.#augment(source, sink, Infinity, level, iter);
      }
    }
  }

  #augment(u: number, sink: number, limit: number, level: Int32Array, iter: Int32Array): number {
    if (u === sink) return limit;
    for (let e = iter[u]!; e >= 0; e = iter[u] = this.#next[e]!) {
      const v = this.#to[e]!;
      if (this.#cap[e]! <= this.#epsilon || level[v] !== level[u]! + 1) continue;
      const got = this.#augment(v, sink, Math.min(limit, this.#cap[e]!), level, iter);
      if (got > 0) {
        this.#cap[e]! -= got;
        this.#cap[e ^ 1]! += got;
        return got;
      }
    }
    return 0;
  }

  #push(from: number, to: number, cap: number): void {
    const e = this.#edges++;
    this.#to[e] = to;
    this.#cap[e] = cap;
    this.#initial[e] = cap;
    this.#next[e] = this.#head[from]!;
    this.#head[from] = e;
  }

  #grow(): void {
    const n = 2 * this.#to.length;
    const to = new Int32Array(n);
    to.set(this.#to);
    this.#to = to;
    const next = new Int32Array(n);
    next.set(this.#next);
    this.#next = next;
    const cap = new Float64Array(n);
    cap.set(this.#cap);
    this.#cap = cap;
    const initial = new Float64Array(n);
    initial.set(this.#initial);
    this.#initial = initial;
  }
}
