/**
 * What `foresight run` does when a role ends or is dropped mid-run, decided
 * without I/O: the origin's events and the processes' exits go in (with the
 * time), the processes to kill and the moment to stop everyone come out.
 * roles/run.ts carries the actions out and arms a timer for
 * {@link RunWatch.nextTimeout}.
 *
 * The run treats a lost cache or client as the roles do: it goes on. A role
 * the origin dropped (`cache-lost`, `client-lost`) that still runs after a
 * grace — stopped, or silent — is killed (SIGKILL: a stopped process does
 * not see SIGTERM). Everyone is stopped only when the run cannot finish: the
 * origin failed, or a cache or client ended and the origin did not drop it
 * (it waits for it forever, e.g. one that never registered).
 *
 * @module
 */

import type { RoleEvent } from "../protocol/role_event.ts";

/** A role of a run. */
export type WatchedRole = "origin" | "cache" | "client";

/** A cache or client the run lost. */
export interface LostMark {
  /** The origin's phase when it dropped the role (registering, warming, running, stopping), when it said. */
  phase?: string;
  /** Why the origin dropped it, when it did. */
  reason?: string;
}

/** What the run must do now. */
export type WatchAction =
  | {
    readonly type: "kill";
    readonly role: "cache" | "client";
    readonly index: number;
    readonly signal: "SIGKILL";
    /** Why, for the log. */
    readonly why: string;
  }
  | {
    /** Stop every process still running (SIGTERM, then SIGKILL after a grace). */
    readonly type: "stop";
    readonly why: string;
  };

/** The waits of {@link RunWatch}, in ms. */
export interface WatchTimes {
  /** How long a dropped role may run on before it is killed (it may end by itself). */
  readonly dropGraceMs: number;
  /** How long after a cache or client ended the origin has to drop it. */
  readonly unnoticedMs: number;
  /** How long the others have to end by themselves once the origin failed. */
  readonly originFailedMs: number;
  /** How long the others have to end by themselves once the origin ended well. */
  readonly originEndedMs: number;
}

/** The default waits: a 2 s grace, 5 s to notice, 2 s after a failed origin, 15 s after a clean one. */
export const WATCH_TIMES: WatchTimes = {
  dropGraceMs: 2000,
  unnoticedMs: 5000,
  originFailedMs: 2000,
  originEndedMs: 15_000,
};

interface Watched {
  role: WatchedRole;
  index: number;
  running: boolean;
  dropped?: LostMark;
  /** When to kill it, dropped and still running. */
  killAt?: number;
  /** When the run cannot finish if the origin has not dropped it by then. */
  noticeBy?: number;
  exit?: { code: number | null; signal: string | null; afterStop: boolean };
}

const how = (code: number | null, signal: string | null) =>
  code === null ? `on ${signal ?? "a signal"}` : String(code);

/**
 * The decisions of `foresight run` about lost roles; see the module doc.
 *
 * @example
 * ```ts
 * const watch = new RunWatch(4);
 * watch.started({ role: "client", index: 1 });
 * watch.event({ role: "origin", index: 0 }, { event: "client-lost", index: 1, phase: "running" }, 1000);
 * watch.tick(3000);
 * watch.poll(); // { type: "kill", role: "client", index: 1, signal: "SIGKILL", … }
 * ```
 */
export class RunWatch {
  readonly #times: WatchTimes;
  readonly #clients: number;
  readonly #roles = new Map<string, Watched>();
  readonly #actions: WatchAction[] = [];
  readonly #failures: string[] = [];
  readonly #done = new Set<number>();
  #originPhase = "registering";
  #originEnded = false;
  #originFailed = false;
  #stopAt: { at: number; why: string } | undefined;
  #stopped = false;

  /**
   * @param clients how many clients the run has
   * @param times the waits (default {@link WATCH_TIMES})
   */
  constructor(clients: number, times: Partial<WatchTimes> = {}) {
    this.#clients = clients;
    this.#times = { ...WATCH_TIMES, ...times };
  }

  #get(role: WatchedRole, index: number): Watched {
    const key = `${role}:${index}`;
    let w = this.#roles.get(key);
    if (!w) this.#roles.set(key, w = { role, index, running: false });
    return w;
  }

  /** A role's process was started. */
  started(who: { role: WatchedRole; index: number }): void {
    this.#get(who.role, who.index).running = true;
  }

  /** An event a role printed, at `now` (ms). Only the origin's matter. */
  event(who: { role: WatchedRole }, e: RoleEvent, now: number): void {
    if (who.role !== "origin") return;
    if (e.event === "stats") this.#originPhase = e.phase;
    if (e.event === "done") this.#done.add(e.client);
    if (e.event !== "cache-lost" && e.event !== "client-lost") return;
    const w = this.#get(e.event === "cache-lost" ? "cache" : "client", e.index);
    // A cache started again by hand in its place may be lost too: the first loss stands.
    w.dropped ??= { phase: e.phase, reason: e.reason };
    w.noticeBy = undefined;
    if (w.running && !this.#stopped) w.killAt ??= now + this.#times.dropGraceMs;
    if (this.#everyClientLost()) {
      this.#stopSoon(now + this.#times.originEndedMs, "every client was lost");
    }
  }

  /**
   * A role's process ended, at `now` (ms).
   *
   * @param error its summary's error, if it printed one
   */
  exited(
    who: { role: WatchedRole; index: number },
    code: number | null,
    signal: string | null,
    now: number,
    error?: string,
  ): void {
    const w = this.#get(who.role, who.index);
    w.running = false;
    w.killAt = undefined;
    w.exit = { code, signal, afterStop: this.#stopped };
    if (this.#stopped) return;
    if (who.role === "origin") {
      this.#originEnded = true;
      if (code === 0) {
        this.#stopSoon(now + this.#times.originEndedMs, "the origin ended");
      } else {
        this.#originFailed = true;
        this.#failures.push(
          `the origin exited ${how(code, signal)}${
            error ? ` (${error})` : ""
          }: the run cannot go on without it`,
        );
        this.#stopSoon(now + this.#times.originFailedMs, "the origin is gone");
      }
    } else if ((code !== 0 || signal !== null) && !w.dropped) {
      w.noticeBy = now + this.#times.unnoticedMs;
    }
  }

  /** The run stops everyone for a reason of its own (a signal, the timeout): no more decisions. */
  stopping(): void {
    this.#stopped = true;
  }

  /** Time passed: queues what is due at `now` (ms). */
  tick(now: number): void {
    if (this.#stopped) return;
    for (const w of this.#roles.values()) {
      if (w.killAt !== undefined && w.killAt <= now) {
        w.killAt = undefined;
        if (w.running && w.role !== "origin") {
          this.#actions.push({
            type: "kill",
            role: w.role,
            index: w.index,
            signal: "SIGKILL",
            why: `the origin dropped ${w.role} ${w.index}` +
              `${
                w.dropped?.reason ? ` (${w.dropped.reason})` : ""
              } and it still runs ${this.#times.dropGraceMs} ms later`,
          });
        }
      }
      if (w.noticeBy !== undefined && w.noticeBy <= now) {
        w.noticeBy = undefined;
        if (!w.dropped && !this.#originEnded && !this.#originStopping() && w.exit) {
          const failure =
            `${w.role} ${w.index} exited ${
              how(w.exit.code, w.exit.signal)
            } and the origin did not drop it within ${this.#times.unnoticedMs} ms: ` +
            "the run cannot finish without it";
          this.#failures.push(failure);
          this.#stopNow(failure);
        }
      }
    }
    if (this.#stopAt && this.#stopAt.at <= now) {
      const { why } = this.#stopAt;
      const left = [...this.#roles.values()].filter((w) => w.running);
      if (left.length > 0) {
        if (why === "the origin ended") {
          this.#failures.push(
            `${
              left.map((w) => `${w.role} ${w.index}`).join(", ")
            } still running ${this.#times.originEndedMs} ms after the origin ended`,
          );
        }
        this.#stopNow(why);
      }
    }
  }

  #originStopping(): boolean {
    return this.#originPhase === "stopping" || this.#originPhase === "done" ||
      this.#done.size + this.#lostClients() >= this.#clients;
  }

  #lostClients(): number {
    let n = 0;
    for (const w of this.#roles.values()) if (w.role === "client" && w.dropped) n++;
    return n;
  }

  #everyClientLost(): boolean {
    return this.#clients > 0 && this.#lostClients() >= this.#clients;
  }

  #stopSoon(at: number, why: string): void {
    if (!this.#stopAt || at < this.#stopAt.at) this.#stopAt = { at, why };
  }

  #stopNow(why: string): void {
    this.#stopped = true;
    this.#stopAt = undefined;
    this.#actions.push({ type: "stop", why });
  }

  /** The next action to carry out, if any. */
  poll(): WatchAction | undefined {
    return this.#actions.shift();
  }

  /** When {@link tick} has something to do next (ms), if ever. */
  nextTimeout(): number | undefined {
    if (this.#stopped) return undefined;
    let next = this.#stopAt?.at ?? Infinity;
    for (const w of this.#roles.values()) {
      next = Math.min(next, w.killAt ?? Infinity, w.noticeBy ?? Infinity);
    }
    return next === Infinity ? undefined : next;
  }

  /** Why the run failed, as the watch saw it (the origin gone, a role it could not do without). */
  get failures(): readonly string[] {
    return this.#failures;
  }

  /** True when the origin failed on its own (not stopped by the run); one of {@link failures} says so. */
  get originFailed(): boolean {
    return this.#originFailed;
  }

  /** True once a `stop` was queued or {@link stopping} called. */
  get stopped(): boolean {
    return this.#stopped;
  }

  /**
   * How `role` `index` was lost: dropped by the origin, or ended by a signal
   * the run did not send; undefined for a role that was not lost (the origin
   * never is: without it, the run fails).
   */
  lost(role: WatchedRole, index: number): LostMark | undefined {
    if (role === "origin") return undefined;
    const w = this.#roles.get(`${role}:${index}`);
    if (!w) return undefined;
    if (w.dropped) return w.dropped;
    if (w.exit && w.exit.signal !== null && !w.exit.afterStop) return {};
    return undefined;
  }

  /** Whether every client was lost. */
  get everyClientLost(): boolean {
    return this.#everyClientLost();
  }
}
