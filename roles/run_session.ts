/**
 * The processes of one `foresight run` while it runs: it starts the origin,
 * then the caches and clients once the origin listens, passes their events on,
 * carries out what the lost-role watch (roles/run_watch.ts) decides, and stops
 * every role on a signal, a timeout or a run that cannot finish. roles/run.ts
 * drives it and builds the report from what it leaves (roles/run_result.ts).
 *
 * @module
 */

import type { Scenario } from "../core/run/scenario.ts";
import type { RoleEvent } from "../protocol/role_event.ts";
import { roleArgs, type RoleArgsSettings } from "./role_args.ts";
import { packageRoot, type Role, roleCommand, runtimeOf } from "./role_command.ts";
import { type RoleProcess, spawnRole } from "./role_process.ts";
import { RunWatch, type WatchTimes } from "./run_watch.ts";
import type { INTERRUPT_EXIT_CODES } from "./run.ts";

/** The settings of a {@link RunSession}, every default resolved (see `runScenario`). */
export interface RunSessionSettings extends RoleArgsSettings {
  /** The `--runtime` choice: node, deno, bun or mixed. */
  readonly runtime: string;
  /** The loopback address the roles listen on and connect to. */
  readonly host: string;
  /** The roles' environment. */
  readonly env: Record<string, string | undefined>;
  /** Where the roles' log lines and the run's own go: whole lines. */
  readonly writeLog: (text: string) => void;
  /** How long a stopped child has between SIGTERM and SIGKILL (ms). */
  readonly stopGraceMs: number;
  /** The waits of the lost-role decisions (the rest: WATCH_TIMES of roles/run_watch.ts). */
  readonly watchTimes: Partial<WatchTimes>;
  /** Called with every event of every role. */
  readonly onEvent?: (child: { role: Role; index: number; pid: number }, e: RoleEvent) => void;
}

/**
 * The role processes of one run, and what stops them. Call
 * {@link RunSession.launch} once; {@link RunSession.interrupt} may be given to
 * `process.on` for SIGINT and SIGTERM.
 *
 * @example
 * ```ts
 * const session = new RunSession(scenario, settings);
 * process.on("SIGINT", session.interrupt);
 * try {
 *   await session.launch(scenarioArgs(scenario));
 * } finally {
 *   session.dispose();
 *   process.off("SIGINT", session.interrupt);
 * }
 * ```
 */
export class RunSession {
  /** Every process started, in order: the origin first. */
  readonly children: RoleProcess[] = [];
  /** What went wrong, in order (the watch's failures come in by {@link RunWatch.failures}). */
  readonly errors: string[] = [];
  /** The lost-role decisions. */
  readonly watch: RunWatch;

  readonly #scenario: Scenario;
  readonly #s: RunSessionSettings;
  readonly #root = packageRoot();
  #originAddr: { host: string; port: number } | undefined;
  #onListening!: () => void;
  readonly #listening = new Promise<void>((r) => (this.#onListening = r));
  #watchTimer: ReturnType<typeof setTimeout> | undefined;
  #failuresTold = 0;
  #escalation: ReturnType<typeof setTimeout> | undefined;
  #interrupted: keyof typeof INTERRUPT_EXIT_CODES | undefined;

  /**
   * @param scenario the scenario every role runs
   * @param settings the run's settings, defaults resolved
   * @throws {ForesightError} CONFIG when no package root is found
   */
  constructor(scenario: Scenario, settings: RunSessionSettings) {
    this.#scenario = scenario;
    this.#s = settings;
    this.watch = new RunWatch(scenario.clients, settings.watchTimes);
  }

  /** The signal that interrupted the run, if one did. */
  get interrupted(): keyof typeof INTERRUPT_EXIT_CODES | undefined {
    return this.#interrupted;
  }

  /**
   * Starts the origin, and once it listens every cache and client; resolves
   * when every process has ended (the watch stops those it must).
   *
   * @param flags the scenario's flags, given to every role
   * @throws {ForesightError} CONFIG when a role's command cannot be made
   *   (e.g. `dist/` missing for Node)
   */
  async launch(flags: readonly string[]): Promise<void> {
    const { host } = this.#s;
    const origin = this.#start("origin", 0, [...flags, "--listen", `${host}:0`]);
    await Promise.race([this.#listening, origin.exit]);
    if (this.#interrupted !== undefined) {
      // Stopped while the origin started: nothing more to launch.
    } else if (this.#originAddr) {
      const at = `${this.#originAddr.host}:${this.#originAddr.port}`;
      for (let i = 0; i < this.#scenario.caches; i++) {
        this.#start("cache", i, ["--origin", at, "--index", String(i), "--listen", `${host}:0`]);
      }
      for (let i = 0; i < this.#scenario.clients; i++) {
        this.#start("client", i, ["--origin", at, "--index", String(i)]);
      }
    } else {
      this.errors.push("the origin exited before listening");
    }
    await Promise.all(this.children.map((c) => c.exit));
  }

  /**
   * SIGINT or SIGTERM to the run: every child gets SIGTERM, and SIGKILL after
   * the grace (at once on a second signal). Ignored once every child ended.
   */
  readonly interrupt = (signal: NodeJS.Signals): void => {
    if (
      this.#interrupted === undefined && this.children.length > 0 && this.#running().length === 0
    ) {
      return; // over
    }
    if (this.#interrupted !== undefined) {
      this.#killAll("SIGKILL"); // a second signal: no more waiting
      return;
    }
    this.#interrupted = signal === "SIGTERM" ? "SIGTERM" : "SIGINT";
    this.errors.push(`interrupted by ${this.#interrupted}`);
    this.watch.stopping();
    this.#stopAll();
  };

  /** The run took too long: every child gets SIGKILL now. */
  timeOut(timeoutS: number): void {
    this.errors.push(`timed out after ${timeoutS} s`);
    this.watch.stopping();
    this.#killAll("SIGKILL");
  }

  /** Clears the session's timers (the SIGKILL escalation, the watch's). */
  dispose(): void {
    clearTimeout(this.#escalation);
    clearTimeout(this.#watchTimer);
  }

  #start(role: Role, index: number, args: string[]): RoleProcess {
    const s = this.#s;
    const runtime = runtimeOf(s.runtime, role);
    const write = role === "client" && s.out !== undefined;
    const argv = [
      ...roleCommand(this.#root, runtime, role, write),
      ...args,
      ...roleArgs(role, index, s),
    ];
    const child: RoleProcess = spawnRole({ role, index, runtime }, argv, {
      env: s.env,
      logFormat: s.logFormat,
      writeLog: s.writeLog,
      onError: (message) => this.errors.push(message),
      onStray: (line, reason) =>
        this.#note("warn", `${role} ${index} printed a line that is no event`, {
          reason,
          line: line.length > 200 ? `${line.slice(0, 200)}…` : line,
        }),
      onEvent: (e) => this.#onEvent(child, e),
    });
    this.watch.started({ role, index });
    child.exit.then((code) => {
      this.watch.exited(
        { role, index },
        code,
        child.signal,
        performance.now(),
        child.summary?.error,
      );
      this.#act();
    });
    this.children.push(child);
    return child;
  }

  /** A role's event: the origin's address, the origin's drops noted and watched; then onEvent. */
  #onEvent(child: RoleProcess, e: RoleEvent): void {
    const { role, index } = child;
    if (e.event === "listening" && role === "origin") {
      this.#originAddr = { host: this.#s.host, port: e.port };
      this.#onListening();
    }
    if (role === "origin") {
      if (e.event === "cache-lost" || e.event === "client-lost") {
        const lost = e.event.slice(0, -5);
        this.#note("warn", `the origin dropped ${lost} ${e.index} while ${e.phase}`, {
          lost,
          index: e.index,
          phase: e.phase,
          reason: e.reason,
        });
      }
      if (e.event === "cache-rejoined") {
        this.#note(
          "info",
          `cache ${e.index} rejoined: a cache started outside the run took its place`,
          { index: e.index },
        );
      }
      this.watch.event({ role }, e, performance.now());
      this.#act();
    }
    this.#s.onEvent?.({ role, index, pid: child.proc.pid! }, e);
  }

  /** Carries out the watch's decisions, logs its new failures, and arms its next timer. */
  #act(): void {
    const watch = this.watch;
    watch.tick(performance.now());
    for (const failure of watch.failures.slice(this.#failuresTold)) {
      this.#note("error", failure, {});
    }
    this.#failuresTold = watch.failures.length;
    for (let a = watch.poll(); a; a = watch.poll()) {
      if (a.type === "kill") {
        const c = this.children.find((c) => c.role === a.role && c.index === a.index);
        this.#note("warn", `stopping ${a.role} ${a.index} (${a.signal})`, { reason: a.why });
        c?.proc.kill(a.signal);
      } else {
        this.#note("warn", "stopping every role", { reason: a.why });
        this.#stopAll();
      }
    }
    clearTimeout(this.#watchTimer);
    const next = watch.nextTimeout();
    if (next !== undefined) {
      this.#watchTimer = setTimeout(() => this.#act(), Math.max(0, next - performance.now()) + 1);
    }
  }

  #running(): RoleProcess[] {
    return this.children.filter((c) => c.proc.exitCode === null && c.proc.signalCode === null);
  }

  #killAll(signal: NodeJS.Signals): void {
    for (const c of this.#running()) c.proc.kill(signal);
  }

  /** Stops every child: SIGTERM now, SIGKILL for any still running after the grace. */
  #stopAll(): void {
    this.#killAll("SIGTERM");
    this.#escalation ??= setTimeout(() => this.#killAll("SIGKILL"), this.#s.stopGraceMs);
  }

  /** A log record of the run itself, in the roles' format, at `level` and above the threshold. */
  #note(level: "info" | "warn" | "error", msg: string, fields: Record<string, unknown>): void {
    const levels = ["debug", "info", "warn", "error"];
    if (levels.indexOf(level) < levels.indexOf(this.#s.logLevel)) return;
    this.#s.writeLog(
      this.#s.logFormat === "json"
        ? JSON.stringify({ t: new Date().toISOString(), level, role: "run", msg, ...fields }) + "\n"
        : `foresight run: ${msg}${fields.reason ? ` (${fields.reason})` : ""}\n`,
    );
  }
}
