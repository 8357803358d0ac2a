/**
 * The first exchange on every connection: the connecting side sends `hello`
 * with its protocol version and role; the accepting side answers `welcome`
 * (or `error` and closes).
 *
 * @module
 */

import { ForesightError } from "../errors.ts";
import { type Message, PROTOCOL_VERSION } from "../protocol/mod.ts";
import { answer, check, newNonce } from "./secret.ts";
import { type Clock, realClock } from "../core/run/clock.ts";

/** A `hello` message. */
export type Hello = Extract<Message, { type: "hello" }>;
/** A `welcome` message. */
export type Welcome = Extract<Message, { type: "welcome" }>;

/**
 * Takes the next message of `msgs`, waiting at most `timeoutMs`.
 *
 * @throws {ForesightError} TIMEOUT when nothing comes, CONN_CLOSED at EOF
 */
export async function nextMessage(
  msgs: AsyncIterator<Message>,
  timeoutMs: number,
  what: string,
): Promise<Message> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(new ForesightError("TIMEOUT", `Cannot ${what}: no message within ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    const r = await Promise.race([msgs.next(), timeout]);
    if (r.done) {
      throw new ForesightError("CONN_CLOSED", `Cannot ${what}: the peer closed the connection`);
    }
    return r.value;
  } finally {
    clearTimeout(timer);
  }
}

/** What the server side of a handshake needs. */
export interface HandshakeOptions {
  /** How long the peer has for each step (ms). */
  readonly timeoutMs: number;
  /** Sends a message to the peer (for the challenge). */
  readonly send: (msg: Message) => Promise<void>;
  /** The shared secret the peer must prove it holds; none = anyone may join. */
  readonly secret?: string;
}

/**
 * Server side: reads the `hello`, checks its version, and when a secret is
 * set challenges the peer to prove it holds it.
 *
 * @throws {ForesightError} PROTOCOL for another first message, VERSION for a
 *   version mismatch, AUTH for a wrong or missing answer, TIMEOUT
 */
export async function handshake(
  msgs: AsyncIterator<Message>,
  options: HandshakeOptions,
): Promise<Hello> {
  const { timeoutMs } = options;
  const msg = await nextMessage(msgs, timeoutMs, "complete the handshake");
  if (msg.type !== "hello") {
    throw new ForesightError(
      "PROTOCOL",
      `Cannot complete the handshake: expected "hello", got "${msg.type}"`,
    );
  }
  if (msg.v !== PROTOCOL_VERSION) {
    throw new ForesightError(
      "VERSION",
      `Cannot complete the handshake: peer speaks version ${msg.v}, this side ${PROTOCOL_VERSION}`,
    );
  }
  if (options.secret !== undefined) {
    const nonce = newNonce();
    await options.send({ type: "challenge", nonce });
    const reply = await nextMessage(msgs, timeoutMs, "authenticate the peer");
    if (reply.type !== "auth") {
      throw new ForesightError(
        "AUTH",
        `Cannot admit the ${msg.role}: it answered the challenge with "${reply.type}", not "auth"`,
      );
    }
    if (!await check(options.secret, msg.role, nonce, reply.mac)) {
      throw new ForesightError("AUTH", `Cannot admit the ${msg.role}: wrong secret`);
    }
  }
  return msg;
}

/** What the joining side of a handshake needs. */
export interface JoinOptions {
  /** How long the server has for each step (ms). */
  readonly timeoutMs: number;
  /** Sends a message to the server (for the answer to a challenge). */
  readonly send: (msg: Message) => Promise<void>;
  /** The role this side announced in its `hello`. */
  readonly role: string;
  /** The shared secret, if this side has one. */
  readonly secret?: string;
  /** This side's clock, to measure the server's against (default {@link realClock}). */
  readonly clock?: Clock;
  /** When this side sent its `hello` (on `clock`). */
  readonly sentAt?: number;
}

/** A `welcome`, and how far the server's clock is from this side's. */
export type Joined = Welcome & {
  /**
   * The server's clock minus this side's (ms), as NTP measures it: the mean
   * of (server received − this side sent) and (server sent − this side
   * received), off by at most half the round trip's network time (not the
   * server's: a cache holds a welcome until it is ready). 0 when that bound
   * admits 0 (clocks that agree, e.g. one machine's, stay exactly equal), or
   * when the server did not say its time.
   */
  readonly clockOffsetMs: number;
};

/**
 * Joining side, after its `hello`: answers a challenge if the server sends
 * one, then reads the `welcome` (an `error` becomes a thrown error).
 *
 * @throws {ForesightError} AUTH when the server wants a secret this side does
 *   not have or refuses it; the server's code otherwise
 */
export async function awaitWelcome(
  msgs: AsyncIterator<Message>,
  options: JoinOptions,
): Promise<Joined> {
  const clock = options.clock ?? realClock;
  let sentAt = options.sentAt;
  const { timeoutMs } = options;
  let msg = await nextMessage(msgs, timeoutMs, "join");
  if (msg.type === "challenge") {
    if (options.secret === undefined) {
      throw new ForesightError(
        "AUTH",
        "Cannot join: the server requires a shared secret (--secret or FORESIGHT_SECRET)",
      );
    }
    sentAt = clock.now();
    await options.send({
      type: "auth",
      mac: await answer(options.secret, options.role, msg.nonce),
    });
    msg = await nextMessage(msgs, timeoutMs, "join");
  }
  if (msg.type === "error") {
    const code = msg.code === "AUTH" ? "AUTH" : "PROTOCOL";
    throw new ForesightError(code, `Cannot join: refused (${msg.code}): ${msg.message}`);
  }
  if (msg.type !== "welcome") {
    throw new ForesightError("PROTOCOL", `Cannot join: expected "welcome", got "${msg.type}"`);
  }
  if (msg.v !== PROTOCOL_VERSION) {
    throw new ForesightError(
      "VERSION",
      `Cannot join: peer speaks version ${msg.v}, this side ${PROTOCOL_VERSION}`,
    );
  }
  return { ...msg, clockOffsetMs: offsetOf(msg, sentAt, clock.now()) };
}

/**
 * The server's clock minus this side's: NTP's ((T2 − T1) + (T3 − T4)) / 2
 * from this side's send (T1), the server's receipt (T2, `received`) and send
 * (T3, `now`) and this side's receipt (T4), which is off by at most half the
 * network's part of the round trip, ((T4 − T1) − (T3 − T2)) / 2: 0 when
 * within that of 0. Without T1 or T2, T3 − T4.
 */
function offsetOf(welcome: Welcome, sentAt: number | undefined, arrived: number): number {
  if (welcome.now === undefined) return 0;
  if (welcome.received === undefined || sentAt === undefined) return welcome.now - arrived;
  const offset = ((welcome.received - sentAt) + (welcome.now - arrived)) / 2;
  const uncertainty = ((arrived - sentAt) - (welcome.now - welcome.received)) / 2;
  return Math.abs(offset) <= uncertainty ? 0 : offset;
}
