/**
 * Test helpers for Peer over real sockets: a listener and one connection to
 * it, a recording logger, and a guard so a failing wait cannot hang.
 *
 * @module
 */

import { loadAdapter } from "../../../net/select.ts";
import { Peer, type PeerOptions } from "../../../live/peer.ts";
import type { Logger, LogLevel } from "../../../core/run/log.ts";
import type { Conn, Listener } from "../../../net/types.ts";

/** Resolves after `ms`. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** `p`, or a rejection naming `what` when it is still pending after `ms` (so a failure cannot hang). */
export async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: still pending after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** A log record kept by {@link recorder}. */
export interface LogRecord {
  level: LogLevel;
  msg: string;
  fields?: unknown;
}

/** A logger that keeps its records. */
export function recorder(): Logger & { records: LogRecord[] } {
  const records: LogRecord[] = [];
  const logger = {
    records,
    log(level: LogLevel, msg: string, fields?: unknown) {
      records.push({ level, msg, fields });
    },
    child() {
      return logger;
    },
  };
  return logger;
}

/**
 * A listener and one connection to it: `remote` the connecting side (raw),
 * `peer` the accepted side, built with `options`; `done` closes everything.
 */
export async function pair(log: Logger, options: Omit<PeerOptions, "log">) {
  const adapter = await loadAdapter();
  const accepted: Conn[] = [];
  const listener: Listener = await adapter.listen(
    { host: "127.0.0.1", port: 0 },
    (c) => accepted.push(c),
  );
  const remote = await adapter.connect(listener.address);
  while (accepted.length < 1) await sleep(5);
  const conn = accepted[0]!;
  const peer = new Peer(conn, { ...options, log });
  const done = async () => {
    peer.close(new Error("test over"));
    remote.close();
    await Promise.all([conn.closed, remote.closed]);
    await listener.close();
  };
  return { remote, conn, peer, done };
}
