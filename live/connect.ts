/**
 * Connecting with retries: a role started before the server it needs keeps
 * trying, with exponential backoff, until a deadline.
 *
 * @module
 */

import type { Address, Conn, NetAdapter } from "../net/types.ts";
import type { Logger } from "../core/run/log.ts";
import { type Clock, realClock } from "../core/run/clock.ts";
import { ForesightError, isForesightError } from "../errors.ts";
import {
  CONNECT_ATTEMPT_MS,
  CONNECT_DEADLINE_MS,
  CONNECT_FIRST_DELAY_MS,
  CONNECT_MAX_DELAY_MS,
} from "./limits.ts";

/** Options of {@link connectWithRetry}. */
export interface RetryOptions {
  readonly log: Logger;
  readonly clock?: Clock;
  /** Give up after this many ms (default {@link CONNECT_DEADLINE_MS}, 30 s). */
  readonly deadlineMs?: number;
  /** First delay between attempts (default {@link CONNECT_FIRST_DELAY_MS}, 100 ms), doubled up to `maxDelayMs`. */
  readonly firstDelayMs?: number;
  /** Longest delay between attempts (default {@link CONNECT_MAX_DELAY_MS}, 2 s). */
  readonly maxDelayMs?: number;
}

/**
 * Connects to `to`, retrying refused and timed-out attempts until the deadline.
 *
 * @throws {ForesightError} TIMEOUT naming the address, the attempts and the deadline
 */
export async function connectWithRetry(
  adapter: NetAdapter,
  to: Address,
  options: RetryOptions,
): Promise<Conn> {
  const clock = options.clock ?? realClock;
  const deadlineMs = options.deadlineMs ?? CONNECT_DEADLINE_MS;
  const deadline = clock.now() + deadlineMs;
  let delay = options.firstDelayMs ?? CONNECT_FIRST_DELAY_MS;
  let attempts = 0;
  let last: unknown;
  while (true) {
    attempts++;
    try {
      return await adapter.connect({
        host: to.host,
        port: to.port,
        timeoutMs: Math.max(100, Math.min(CONNECT_ATTEMPT_MS, deadline - clock.now())),
      });
    } catch (e) {
      last = e;
      const retriable = isForesightError(e, "CONN_REFUSED") || isForesightError(e, "TIMEOUT") ||
        isForesightError(e, "CONN_RESET");
      if (!retriable || clock.now() + delay > deadline) break;
      if (attempts === 1) {
        options.log.log("info", "server not there yet; retrying", { host: to.host, port: to.port });
      }
      await clock.sleep(delay);
      delay = Math.min(delay * 2, options.maxDelayMs ?? CONNECT_MAX_DELAY_MS);
    }
  }
  throw new ForesightError(
    "TIMEOUT",
    `Cannot connect to ${to.host}:${to.port}: ${attempts} attempts failed within ${deadlineMs} ms (last: ${
      (last as Error)?.message
    })`,
    { cause: last },
  );
}
