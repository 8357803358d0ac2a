/**
 * The first exchange on every connection: the connecting side sends `hello`
 * with its protocol version and role; the accepting side answers `welcome`
 * (or `error` and closes).
 *
 * @module
 */

import { ForesightError } from "../errors.ts";
import { type Message, PROTOCOL_VERSION } from "../protocol/mod.ts";

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

/**
 * Server side: reads the `hello` and checks its version.
 *
 * @throws {ForesightError} PROTOCOL for another first message, VERSION for a version mismatch
 */
export async function handshake(msgs: AsyncIterator<Message>, timeoutMs: number): Promise<Hello> {
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
  return msg;
}

/**
 * Client side: reads the `welcome` (an `error` becomes a thrown error).
 *
 * @throws {ForesightError} with the peer's code when refused
 */
export async function awaitWelcome(
  msgs: AsyncIterator<Message>,
  timeoutMs: number,
): Promise<Welcome> {
  const msg = await nextMessage(msgs, timeoutMs, "join");
  if (msg.type === "error") {
    throw new ForesightError("PROTOCOL", `Cannot join: refused (${msg.code}): ${msg.message}`);
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
  return msg;
}
