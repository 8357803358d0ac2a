/**
 * One role process of `foresight run`: spawned from its command line, its
 * stdout read as JSON-line events (each checked against `RoleEventSchema`),
 * its stderr passed on as log lines — tagged with the role, or as JSON
 * records in the roles' JSON log format.
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import { parseRoleEvent, type RoleEvent, type StatsEvent } from "../protocol/role_event.ts";
import type { Summary } from "../report/run_report.ts";
import type { Role, Runtime } from "./role_command.ts";

/** Which role a process runs, and on which runtime. */
export interface RoleId {
  readonly role: Role;
  readonly index: number;
  readonly runtime: Runtime;
}

/** A role process of a run, and what it has reported so far. */
export interface RoleProcess extends RoleId {
  readonly proc: ChildProcess;
  /** Its summary event, once printed. */
  summary?: Summary;
  /** Its latest `stats` event: what the report shows of it when it printed no summary. */
  stats?: StatsEvent;
  /** The signal that ended it, if one did. */
  signal: NodeJS.Signals | null;
  /** Its exit code (127 when it could not be started), once it exited and its stdout ended. */
  readonly exit: Promise<number | null>;
}

/** How {@link spawnRole} starts a role, and where what it prints goes. */
export interface RoleProcessHooks {
  /** The role's environment. */
  readonly env: Record<string, string | undefined>;
  /** The roles' log format: stderr lines are tagged (pretty) or made JSON records (json). */
  readonly logFormat: "pretty" | "json";
  /** Where its stderr lines go: whole lines, each ending in a newline. */
  readonly writeLog: (text: string) => void;
  /** Each event it prints, after its summary or latest stats were kept. */
  readonly onEvent: (e: RoleEvent) => void;
  /** A line on its stdout that is no event (a stray print, a runtime's warning), and why. */
  readonly onStray: (line: string, reason: string) => void;
  /** It could not be started: the message says why (its exit is then 127). */
  readonly onError: (message: string) => void;
}

/**
 * Starts a role process and reads what it prints: events from stdout (a
 * blank line is skipped; a line that is no event goes to `onStray`), log
 * lines from stderr. Its `exit` resolves after its exit and the end of its
 * stdout, so its summary is in by then.
 *
 * @param id the role, its index and runtime
 * @param argv its command line: the runtime's command, then every flag
 * @param hooks its environment, and where its events and logs go
 * @returns the process, with its summary and latest stats as they arrive
 * @example
 * ```ts
 * const origin = spawnRole({ role: "origin", index: 0, runtime: "node" }, argv, hooks);
 * console.log(await origin.exit, origin.summary?.ok);
 * ```
 */
export function spawnRole(
  id: RoleId,
  argv: readonly string[],
  hooks: RoleProcessHooks,
): RoleProcess {
  const [cmd, ...args] = argv;
  const proc = spawn(cmd!, args, { stdio: ["ignore", "pipe", "pipe"], env: hooks.env });
  const child: RoleProcess = {
    ...id,
    proc,
    signal: null,
    // "close": after its exit and the end of its stdout, so its summary is in.
    exit: new Promise((resolve) => {
      proc.on("close", (code, signal) => {
        child.signal = signal;
        resolve(code);
      });
      proc.on("error", (e) => {
        hooks.onError(`${id.role} ${id.index}: cannot start ${cmd}: ${e.message}`);
        resolve(127);
      });
    }),
  };
  readEvents(child, hooks);
  forwardLog(child, hooks);
  return child;
}

/** Reads the role's stdout line by line as events; keeps its summary and latest stats. */
function readEvents(child: RoleProcess, hooks: RoleProcessHooks): void {
  const stdout = child.proc.stdout!;
  let buf = "";
  stdout.setEncoding("utf8");
  stdout.on("data", (d: string) => {
    buf += d;
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line.trim() === "") continue;
      const parsed = parseRoleEvent(line);
      if (!parsed.ok) {
        hooks.onStray(line, parsed.reason);
        continue;
      }
      const e = parsed.event;
      if (e.event === "summary") child.summary = e;
      if (e.event === "stats") child.stats = e;
      hooks.onEvent(e);
    }
  });
}

/** Passes the role's stderr on, whole lines at a time, tagged or as JSON records. */
function forwardLog(child: RoleProcess, hooks: RoleProcessHooks): void {
  const { role, index, runtime } = child;
  const tag = `[${role}${role === "origin" ? "" : index}/${runtime}] `;
  const forward = (lines: string[]) => {
    const text = lines.filter((l) => l).map((l) =>
      hooks.logFormat === "json" ? jsonLogLine(l, { role, index, runtime }) : tag + l
    ).join("\n");
    if (text) hooks.writeLog(text + "\n");
  };
  const stderr = child.proc.stderr!;
  let buf = "";
  stderr.setEncoding("utf8");
  stderr.on("data", (d: string) => {
    buf += d;
    const nl = buf.lastIndexOf("\n");
    if (nl < 0) return;
    forward(buf.slice(0, nl).split("\n"));
    buf = buf.slice(nl + 1);
  });
  stderr.on("end", () => forward([buf]));
}

/**
 * A role's stderr line as one JSON log record: its own record with the
 * process's index and runtime added, or (a line that is not JSON, e.g. a
 * runtime's crash report) the line as the message of an error record.
 */
function jsonLogLine(line: string, who: RoleId): string {
  try {
    const rec = JSON.parse(line);
    if (rec && typeof rec === "object" && !Array.isArray(rec)) {
      return JSON.stringify({ ...rec, index: who.index, runtime: who.runtime });
    }
  } catch {
    // not JSON: wrapped below
  }
  return JSON.stringify({
    t: new Date().toISOString(),
    level: "error",
    role: who.role,
    index: who.index,
    runtime: who.runtime,
    msg: line,
  });
}
