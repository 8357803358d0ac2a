/**
 * A peer: one connection seen as messages. Incoming bytes are decoded into
 * messages; outgoing messages are framed and written in order, and a file is
 * sent as its header and chunks back to back, paced by the link's
 * {@link Pacer}. A frame that fails to decode is answered with an error
 * message and closes this one connection. So does a frame that begins to
 * arrive and is not complete within {@link PeerOptions.frameMs} (`TIMEOUT`).
 * Once the roles turn keepalive on ({@link Peer.keepAlive}, after the
 * handshake), this side sends `ping` after a third of
 * {@link PeerOptions.idleMs} without writing, and closes the connection
 * (`TIMEOUT`) when nothing at all has arrived for `idleMs`; pings are never
 * yielded by {@link Peer.messages}. These limits and the write stall limit
 * are enforced by the coarse timer of a {@link StallWatch} (one per role,
 * or the process's shared one), which samples counters; nothing runs per chunk.
 *
 * @module
 */

import { type Conn, LENT_BYTES } from "../net/types.ts";
import type { Pacer } from "../core/links/pacer.ts";
import { ChunkBatch } from "./chunk_frame.ts";
import type { Logger } from "../core/run/log.ts";
import { sharedStallWatch, type StallWatch } from "./stall_watch.ts";
import { FRAME_MS, IDLE_MS, WRITE_STALL_MS } from "./limits.ts";
import { ForesightError, isForesightError } from "../errors.ts";
import {
  CHUNK_BYTES,
  CHUNK_PIECES,
  decodeMessage,
  DEFAULT_MAX_BODY,
  encodeMessage,
  FrameDecoder,
  HEADER_BYTES,
  type Message,
} from "../protocol/mod.ts";

/** The encoded `ping` frame (sent as is, never changed). */
const PING = encodeMessage({ type: "ping" });

/** The header that opens a file transfer. */
export type FileHeader = Extract<Message, { type: "file" | "hit" }>;

/**
 * A file's bytes to send ({@link Peer.sendFile}): parts in order, each
 * element a part or the parts that are there together (a cache's pages).
 */
export type FileBody =
  | AsyncIterable<Uint8Array | readonly Uint8Array[]>
  | Iterable<Uint8Array | readonly Uint8Array[]>;

/** Options of a {@link Peer}. */
export interface PeerOptions {
  /** Paces file bytes sent on this link; none = unpaced. */
  readonly pacer?: Pacer;
  /**
   * Largest frame body accepted (default `DEFAULT_MAX_BODY`, 1 MiB); a frame
   * of it and its header must fit in what the adapters lend (`LENT_BYTES`).
   */
  readonly maxBody?: number;
  /** Where decode failures and resets are reported. */
  readonly log: Logger;
  /**
   * How long one write may wait for the peer to read before the connection is
   * closed (default {@link WRITE_STALL_MS}, 10 s).
   */
  readonly stallMs?: number;
  /**
   * How long a frame may take to arrive in full once its first bytes have
   * come; a frame slower than that closes the connection with `TIMEOUT`
   * (default {@link FRAME_MS}, 10 s; `Infinity`: no limit). Time between
   * frames, and time the caller spends on a message, are not limited.
   */
  readonly frameMs?: number;
  /**
   * Once keepalive is on ({@link Peer.keepAlive}): how long nothing at all
   * may arrive (not even a `ping`) before the connection is closed with
   * `TIMEOUT`; a `ping` is sent after a third of this without a write
   * (default {@link IDLE_MS}, 30 s; `Infinity`: never). Time the caller
   * spends on a message does not count.
   */
  readonly idleMs?: number;
  /** Whose timer enforces these limits (default: {@link sharedStallWatch}, on the real clock). */
  readonly watch?: StallWatch;
  /**
   * Payload bytes per `chunk` frame sent (default `CHUNK_BYTES`, 64 KiB; the
   * receiver's `maxBody` must hold it and its 4-byte file id). For benchmarks.
   */
  readonly chunkBytes?: number;
}

/**
 * The largest frame body a peer can read: a partial frame (header and body)
 * is held as views of the chunks an adapter lends, which stay valid for
 * {@link LENT_BYTES} more bytes only.
 */
export const MAX_LENT_BODY: number = LENT_BYTES - HEADER_BYTES;

/**
 * `maxBody` when a peer can read frames that large without copying them.
 *
 * @throws {ForesightError} CONFIG when a frame of `maxBody` and its header would outlive the adapters' lent bytes
 * @example
 * ```ts
 * lendableMaxBody(DEFAULT_MAX_BODY); // 1048576
 * lendableMaxBody(4 * DEFAULT_MAX_BODY); // throws CONFIG
 * ```
 */
export function lendableMaxBody(maxBody: number): number {
  if (!(maxBody <= MAX_LENT_BODY)) {
    throw new ForesightError(
      "CONFIG",
      `Cannot read frames of up to ${maxBody} bytes: the adapters lend ${LENT_BYTES} bytes ` +
        `of a connection at a time, which holds a body of at most ${MAX_LENT_BODY} bytes ` +
        `after its ${HEADER_BYTES}-byte header`,
    );
  }
  return maxBody;
}

/**
 * A connection that speaks Foresight messages.
 *
 * @example
 * ```ts
 * const peer = new Peer(conn, { log });
 * await peer.send({ type: "start" });
 * for await (const msg of peer.messages()) handle(msg);
 * ```
 */
export class Peer {
  /** The connection underneath. */
  readonly conn: Conn;
  #pacer: Pacer | undefined;
  readonly #maxBody: number;
  readonly #chunkBytes: number;
  readonly #log: Logger;
  #tail: Promise<void> = Promise.resolve();
  #closed = false;
  #payloadSent = 0;
  #batch: ChunkBatch | undefined;
  /** When the write in progress began, on the stall watch's clock. */
  #writingSince: number | undefined;
  readonly #stalls: StallWatch;
  /** The decoder of {@link messages}, once it runs. */
  #decoder: FrameDecoder | undefined;
  /** Frames complete so far: names the pending frame for the stall watch. */
  #framesRead = 0;
  /** True while {@link messages} waits for the peer's next bytes. */
  #awaitingBytes = false;
  /** Why reading was cut off (a stalled frame, an idle peer), if it was. */
  #readError: ForesightError | undefined;
  /** Chunks read so far (sampled by the stall watch for the idle limit). */
  #chunksIn = 0;
  /** Writes made so far (sampled by the stall watch: when to ping). */
  #writes = 0;
  /** True once {@link keepAlive} was called. */
  #keepAlive = false;
  readonly #idleMs: number;
  /** The peer's clock minus this side's (ms): see {@link setClockOffset}. */
  #clockOffsetMs = 0;
  /** Messages to go out at the next chunk boundary ({@link sendBetween}). */
  #between: { bytes: Uint8Array; sent: () => void; failed: (e: unknown) => void }[] = [];

  /** @param conn an open connection */
  constructor(conn: Conn, options: PeerOptions) {
    this.conn = conn;
    this.#pacer = options.pacer;
    this.#maxBody = lendableMaxBody(options.maxBody ?? DEFAULT_MAX_BODY);
    const chunkBytes = this.#chunkBytes = options.chunkBytes ?? CHUNK_BYTES;
    if (!(Number.isInteger(chunkBytes) && chunkBytes >= 1 && chunkBytes <= MAX_LENT_BODY - 4)) {
      throw new ForesightError(
        "CONFIG",
        `Cannot send chunks of ${chunkBytes} bytes: not an integer in 1..${MAX_LENT_BODY - 4}`,
      );
    }
    this.#log = options.log;
    this.#idleMs = options.idleMs ?? IDLE_MS;
    const stalls = this.#stalls = options.watch ?? sharedStallWatch();
    const unwatch = stalls.watch(
      {
        writingSince: () => this.#writingSince,
        stalled: (ms) => {
          const where = `${conn.remote.host}:${conn.remote.port}`;
          this.#log.log("warn", "closing connection: the peer stopped reading", {
            remote: where,
            waitedMs: Math.round(ms),
          });
          this.close(
            new ForesightError(
              "TIMEOUT",
              `Cannot send to ${where}: a write waited ${Math.round(ms)} ms for the peer to read`,
            ),
          );
        },
        readingFrame: () => {
          const decoder = this.#decoder;
          if (!this.#awaitingBytes || decoder === undefined || decoder.idle) return undefined;
          return this.#readError === undefined ? this.#framesRead : undefined;
        },
        readBytes: () => this.#decoder?.buffered ?? 0,
        readStalled: (pendingMs, quietMs) => this.#frameStalled(pendingMs, quietMs),
        keepingAlive: () => this.#keepAlive && !this.#closed,
        received: () =>
          this.#awaitingBytes && this.#readError === undefined ? this.#chunksIn : undefined,
        written: () => this.#writes,
        ping: () => {
          if (this.#closed) return;
          this.#locked(() => this.#write(PING)).catch(() => {});
        },
        idle: () => this.#idle(),
      },
      options.stallMs ?? WRITE_STALL_MS,
      options.frameMs ?? FRAME_MS,
      this.#idleMs,
    );
    conn.closed.finally(unwatch);
  }

  /** File payload bytes sent so far. */
  get payloadSent(): number {
    return this.#payloadSent;
  }

  /**
   * Says how far the peer's clock is from this side's (its time minus ours,
   * ms, as measured at the handshake). From then on the times this side sends
   * (`request.at`) go out on the peer's clock and the times it receives
   * (`file.due`, `hit.due`) come in on this side's, so neither side's engine
   * ever compares times of two clocks. Set on the joining side only; the
   * server sees every time on its own clock.
   */
  setClockOffset(ms: number): void {
    this.#clockOffsetMs = ms;
    this.#log.log("debug", "the peer's clock, measured", {
      remote: `${this.conn.remote.host}:${this.conn.remote.port}`,
      offsetMs: Math.round(ms * 1000) / 1000,
    });
  }

  /** Paces file bytes from now on with `pacer`. */
  setPacer(pacer: Pacer | undefined): void {
    this.#pacer = pacer;
  }

  /**
   * Turns keepalive on: from now on this side pings a peer it has written
   * nothing to for a third of {@link PeerOptions.idleMs}, and closes the
   * connection (`TIMEOUT`) when nothing arrives for `idleMs` while it waits
   * for the peer. Call it once the handshake is over (the first frames must be
   * `hello`, `challenge`, `auth`, `welcome`), on both sides.
   */
  keepAlive(): void {
    this.#keepAlive = true;
  }

  /** Closes the connection: nothing has arrived for the idle limit (see the stall watch). */
  #idle(): void {
    if (this.#readError !== undefined || this.#closed) return;
    const where = `${this.conn.remote.host}:${this.conn.remote.port}`;
    const err = new ForesightError(
      "TIMEOUT",
      `Cannot keep the connection to ${where}: nothing received for ${this.#idleMs} ms`,
    );
    this.#readError = err;
    this.#log.log("warn", "closing connection: the peer went silent", {
      remote: where,
      code: err.code,
      reason: err.message,
    });
    void this.reject(err);
  }

  /** True once {@link close} was called. */
  get isClosed(): boolean {
    return this.#closed;
  }

  /** Closes the connection: the frame arriving has taken too long (see the stall watch). */
  #frameStalled(pendingMs: number, quietMs: number): void {
    const decoder = this.#decoder;
    if (this.#readError !== undefined || this.#closed || decoder === undefined) return;
    const where = `${this.conn.remote.host}:${this.conn.remote.port}`;
    const total = decoder.frameBytes;
    const got = total === undefined
      ? `${decoder.buffered} of the ${HEADER_BYTES} header bytes`
      : `${decoder.buffered} of ${total} bytes`;
    const ms = Math.round(pendingMs);
    const detail = quietMs >= pendingMs
      ? `${got} arrived, then nothing for ${ms} ms`
      : `only ${got} arrived in ${ms} ms`;
    const err = new ForesightError("TIMEOUT", `Cannot read a frame from ${where}: ${detail}`);
    this.#readError = err;
    this.#log.log("warn", "closing connection: a frame stalled", {
      remote: where,
      code: err.code,
      reason: err.message,
    });
    void this.reject(err);
  }

  /** Writes, recording since when a write waits (for the stall watch). */
  async #write(bytes: Uint8Array): Promise<void> {
    this.#writingSince = this.#stalls.clock.now();
    this.#writes++;
    try {
      await this.conn.write(bytes);
    } finally {
      this.#writingSince = undefined;
    }
  }

  #locked<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(work);
    this.#tail = run.then(() => {}, () => {});
    return run;
  }

  /** Sends one control message after everything queued before it. */
  send(msg: Message): Promise<void> {
    if (msg.type === "request" && msg.at !== undefined && this.#clockOffsetMs !== 0) {
      msg = { ...msg, at: msg.at + this.#clockOffsetMs };
    }
    const bytes = encodeMessage(msg);
    return this.#locked(() => this.#write(bytes));
  }

  /**
   * Sends one control message as soon as the connection allows: between two
   * chunks of a file being sent, else before the next file's header, else in
   * its turn. For a message the model has arrive at once (a declined refill's
   * `miss`), which must not wait for the rest of a push under way. A file's
   * chunks stay in order; the receiver takes the message between them.
   */
  sendBetween(msg: Message): Promise<void> {
    const bytes = encodeMessage(msg);
    const sent = new Promise<void>((resolve, reject) => {
      this.#between.push({ bytes, sent: resolve, failed: reject });
    });
    // In its turn, if no chunk boundary came first.
    this.#locked(() => this.#writeBetween()).catch(() => {});
    return sent;
  }

  /** Writes every message waiting for a chunk boundary (see {@link sendBetween}). */
  async #writeBetween(): Promise<void> {
    while (this.#between.length > 0) {
      const m = this.#between.shift()!;
      try {
        await this.#write(m.bytes);
        m.sent();
      } catch (e) {
        m.failed(e);
        throw e;
      }
    }
  }

  /**
   * Sends a file: `header` (a `file` or `hit` message), then the parts of
   * `body` as chunks, nothing else in between, paced; `cause` is when the
   * request for it was made (see {@link Pacer.take}); `readyAt`, when the
   * body's last byte is there to send at the earliest (a cache forwarding a
   * file still arriving: the end of its push), so the transfer cannot end
   * before then, as the simulator's link model has it. Resolves, once the
   * transfer is over, with when it was due to end (the clock's time; now
   * when unpaced).
   *
   * Chunks whose slots have begun leave together, up to a batch (see
   * `ChunkBatch`) per write: an element of `body` (a part, or the parts that
   * are there together) is sent before the next one is awaited, and a chunk
   * whose slot lies ahead waits for it after those before it went out.
   */
  sendFile(header: FileHeader, body: FileBody, cause?: number, readyAt?: number): Promise<number> {
    return this.#locked(async () => {
      const pacer = this.#pacer;
      let due = 0;
      if (pacer) {
        // The header says when the transfer is due to end, so the receiver's
        // next request can be dated from then (see Pacer.begin).
        due = Math.max(pacer.due(pacer.begin(cause), header.size), readyAt ?? -Infinity);
        header = { ...header, due };
      }
      if (this.#between.length > 0) await this.#writeBetween();
      await this.#write(encodeMessage(header));
      // Reused: a batch's write resolves only once the runtime has taken every byte.
      const batch = this.#batch ??= new ChunkBatch();
      const step = this.#chunkBytes;
      // When the body's last bytes arrived to be sent, if it made this wait
      // for them (a cache forwarding a push that is late): see Pacer.finish.
      let availableAt: number | undefined;
      let asked = pacer?.now() ?? 0;
      for await (const got of body) {
        if (pacer) {
          const now = pacer.now();
          if (now - asked > 1) availableAt = now;
        }
        for (const part of got instanceof Uint8Array ? [got] : got) {
          for (let at = 0; at < part.length; at += step) {
            const piece = part.subarray(at, Math.min(part.length, at + step));
            const wait = pacer ? pacer.reserve(piece.length) : 0;
            if (pacer && wait > pacer.slotMs) {
              if (!batch.empty) await this.#flush(batch);
              await pacer.sleep(wait);
            }
            if (this.#between.length > 0) {
              // A message waiting for a chunk boundary goes out before this chunk.
              if (!batch.empty) await this.#flush(batch);
              await this.#writeBetween();
            }
            batch.add(header.file, piece);
            if (batch.full) await this.#flush(batch);
          }
        }
        if (!batch.empty) await this.#flush(batch);
        if (pacer) asked = pacer.now();
      }
      // The link is busy until the transfer ends; so is this connection.
      if (!pacer) return this.#stalls.clock.now();
      await pacer.finish(due, availableAt);
      return due;
    });
  }

  /** Writes the chunks of `batch` in one write, then empties it. */
  async #flush(batch: ChunkBatch): Promise<void> {
    this.#writingSince = this.#stalls.clock.now();
    this.#writes++;
    try {
      await this.conn.writev(batch.parts);
    } finally {
      this.#writingSince = undefined;
    }
    this.#payloadSent += batch.bytes;
    batch.clear();
  }

  /**
   * The peer's messages until EOF. A decode failure sends an `error` message,
   * closes the connection, logs the reason and ends the iteration by throwing;
   * so does a frame that stalls (`TIMEOUT`, see {@link PeerOptions.frameMs})
   * and, with keepalive on, a peer that sends nothing ({@link PeerOptions.idleMs}).
   * `ping` messages are consumed here, never yielded. A `chunk` frame that
   * spans reads is yielded as one `chunk` message per read it spans (views of
   * the adapter's lent read buffers, like every chunk within one read).
   * Call it once.
   */
  async *messages(): AsyncGenerator<Message> {
    // A chunk comes out as one message per read it spans (views, never copied).
    const decoder = new FrameDecoder({ maxBody: this.#maxBody, streamed: CHUNK_PIECES });
    this.#decoder = decoder;
    try {
      // #awaitingBytes is true exactly while the loop waits for the next
      // chunk, not while a message is out with the caller: only the former
      // counts against a frame in progress.
      this.#awaitingBytes = true;
      for await (const chunk of this.conn.readable) {
        this.#awaitingBytes = false;
        this.#chunksIn++;
        let msgs: Message[];
        try {
          const frames = decoder.push(chunk);
          this.#framesRead = decoder.completed;
          msgs = new Array(frames.length);
          for (let i = 0; i < frames.length; i++) msgs[i] = decodeMessage(frames[i]!);
        } catch (e) {
          const err = isForesightError(e)
            ? e
            : new ForesightError("PROTOCOL", "Cannot decode message", { cause: e });
          this.#log.log("warn", "closing connection: bad input", {
            remote: `${this.conn.remote.host}:${this.conn.remote.port}`,
            code: err.code,
            reason: err.message,
          });
          await this.reject(err);
          throw err;
        }
        for (const m of msgs) if (m.type !== "ping") yield this.#onOurClock(m);
        this.#awaitingBytes = true;
      }
    } catch (e) {
      // Closing a stalled connection breaks its read: say why it was closed.
      throw this.#readError ?? e;
    } finally {
      this.#awaitingBytes = false;
    }
    if (this.#readError !== undefined) throw this.#readError;
    if (!decoder.idle) {
      throw new ForesightError(
        "PROTOCOL",
        `Cannot decode message: connection ended inside a frame (${decoder.buffered} bytes pending)`,
      );
    }
  }

  /** `m` with its time (a file header's `due`) on this side's clock. */
  #onOurClock(m: Message): Message {
    if ((m.type !== "file" && m.type !== "hit") || m.due === undefined) return m;
    return this.#clockOffsetMs === 0 ? m : { ...m, due: m.due - this.#clockOffsetMs };
  }

  /** Answers `err` with an error message (best effort) and closes. */
  async reject(err: ForesightError): Promise<void> {
    const bytes = encodeMessage({ type: "error", code: err.code, message: err.message });
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await Promise.race([this.conn.write(bytes), new Promise((r) => timer = setTimeout(r, 1000))]);
    } catch {
      /* the peer may already be gone */
    } finally {
      clearTimeout(timer);
    }
    this.close(err);
  }

  /** Closes the connection (gracefully when no reason is given). Safe to call twice. */
  close(reason?: Error): void {
    if (this.#closed) return;
    this.#closed = true;
    if (reason) {
      this.conn.close(reason);
      return;
    }
    // Half-close after everything queued; the peer answers with its own EOF.
    // A peer that never does is cut off after a grace period.
    this.#locked(() => this.conn.closeWrite()).catch(() => {}).finally(() => {
      const timer = setTimeout(() => this.conn.close(), 3000);
      this.conn.closed.finally(() => clearTimeout(timer));
    });
  }
}
