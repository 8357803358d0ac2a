/**
 * What every engine shares. An engine (origin, cache, client) is a
 * deterministic state machine with no I/O, no timers and no runtime API:
 * its driver (the simulator, or the live role over sockets) calls
 * `handle(input, now)` for what happened — a message arrived, a transfer
 * began or ended, a peer was lost or came back — and carries out the
 * effects it returns, in order: send a message, start a transfer on a link,
 * report an event, log. `now` is the driver's time (simulated seconds, or
 * the live clock's milliseconds); an engine never reads a clock, it only
 * carries `now` into the effects that need a time stamp.
 *
 * Bad input from a peer throws a ForesightError (PROTOCOL) synchronously,
 * before any state changes: the driver closes that one connection.
 *
 * @module
 */

import type { LogFields, LogLevel } from "../core/run/log.ts";
import type { EngineEvent } from "../protocol/role_event.ts";

/** An event to report (progress display, dashboard, report, tests). */
export interface ReportEffect {
  readonly kind: "report";
  readonly event: EngineEvent;
}

/** A log record to write. */
export interface LogEffect {
  readonly kind: "log";
  readonly level: LogLevel;
  readonly message: string;
  readonly fields?: LogFields;
}

/** The effects every engine may return. */
export type CommonEffect = ReportEffect | LogEffect;
