/**
 * Live progress of a run in the terminal: one bar per client, redrawn in
 * place on a TTY, plain periodic lines otherwise.
 *
 * @module
 */

import type { Scenario } from "../core/scenario.ts";

interface Out {
  write(s: string): unknown;
  isTTY?: boolean;
}

/** Renders client progress events. */
export class Progress {
  readonly #out: Out;
  readonly #scenario: Scenario;
  readonly #clients = new Map<
    number,
    { files: number; of: number; bytes: number; hits: number; sim: number }
  >();
  #drawn = 0;
  #last = 0;
  #timer: ReturnType<typeof setInterval> | undefined;

  /** @param out where to draw (stdout, or stderr when stdout carries JSON) */
  constructor(scenario: Scenario, out: Out) {
    this.#out = out;
    this.#scenario = scenario;
  }

  /** Takes one event from a role. */
  event(who: { role: string; index: number }, e: Record<string, any>): void {
    if (e.event === "start" && !this.#timer) {
      this.#timer = setInterval(() => this.#draw(), this.#out.isTTY ? 200 : 5000);
    }
    if (who.role === "client" && e.event === "progress") {
      this.#clients.set(e.index, {
        files: e.files,
        of: e.of,
        bytes: e.bytes,
        hits: e.hits,
        sim: e.simSeconds,
      });
    }
  }

  #draw(): void {
    const rows = [...this.#clients.entries()].sort((a, b) => a[0] - b[0]);
    if (this.#out.isTTY) {
      const lines = rows.map(([i, c]) => {
        const w = 30;
        const done = Math.round((c.files / Math.max(1, c.of)) * w);
        return `client ${i} [${"#".repeat(done)}${".".repeat(w - done)}] ${c.files}/${c.of} files ${
          (c.bytes / 1_048_576).toFixed(0)
        } MiB hits ${c.hits}  sim ${c.sim.toFixed(0)} s`;
      });
      if (this.#drawn) this.#out.write(`\x1b[${this.#drawn}A`);
      this.#out.write(lines.map((l) => `\x1b[2K${l}\n`).join(""));
      this.#drawn = lines.length;
    } else {
      const now = performance.now();
      if (now - this.#last < 4000) return;
      this.#last = now;
      const total = rows.reduce((a, [, c]) => a + c.files, 0);
      const sim = Math.max(0, ...rows.map(([, c]) => c.sim));
      this.#out.write(
        `progress: ${total}/${this.#scenario.clients * this.#scenario.requests} files, sim ${
          sim.toFixed(0)
        } s\n`,
      );
    }
  }

  /** Stops redrawing and draws the final state. */
  finish(): void {
    if (this.#timer) clearInterval(this.#timer);
    if (this.#clients.size) this.#draw();
  }
}
