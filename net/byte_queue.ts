/**
 * The readable side of a push-based socket (Node `net`, Bun): a bounded queue
 * of chunks that is its own async iterator, with pause/resume hooks.
 *
 * @module
 */
import { ForesightError } from "../errors.ts";

/** Options for {@link ByteQueue}. */
export interface ByteQueueOptions {
  /** Bytes held before the source is paused (default 1 MiB). */
  readonly highWaterMark?: number;
  /** Stops the source; called once the queue holds `highWaterMark` bytes. */
  readonly pause: () => void;
  /** Restarts the source; called once the reader drains the queue to half the mark. */
  readonly resume: () => void;
}

type Waiter = {
  resolve: (result: IteratorResult<Uint8Array>) => void;
  reject: (error: Error) => void;
};

const DONE: IteratorResult<Uint8Array> = { value: undefined, done: true };

/**
 * A bounded queue of byte chunks read with `for await`. The source pushes
 * chunks and ends the queue (with an error for a broken connection); the
 * queue pauses the source when `highWaterMark` bytes wait unread, so memory
 * stays bounded however slow the reader is. Chunks queued before `end` are
 * still delivered, then the error is thrown. Breaking out of the loop
 * discards what is queued and whatever comes after, and keeps the source
 * flowing so that its end (and the connection's close) is still seen. One
 * reader at a time.
 *
 * @example
 * ```ts
 * const queue = new ByteQueue({ pause: () => socket.pause(), resume: () => socket.resume() });
 * socket.on("data", (chunk) => queue.push(chunk));
 * socket.on("end", () => queue.end());
 * for await (const chunk of queue) console.log(chunk.byteLength);
 * ```
 */
export class ByteQueue implements AsyncIterableIterator<Uint8Array> {
  #chunks: Uint8Array[] = [];
  #bytes = 0;
  #ended = false;
  #error: Error | undefined;
  #paused = false;
  /** The reader stopped: chunks are dropped as they come. */
  #discarding = false;
  #waiter: Waiter | undefined;
  readonly #high: number;
  readonly #pause: () => void;
  readonly #resume: () => void;

  /** @param options the pause/resume hooks and the high-water mark */
  constructor(options: ByteQueueOptions) {
    this.#high = options.highWaterMark ?? 1024 * 1024;
    this.#pause = options.pause;
    this.#resume = options.resume;
  }

  /** Bytes queued and not yet read. */
  get bufferedBytes(): number {
    return this.#bytes;
  }

  /**
   * Adds a chunk; ignored once the queue has ended or the reader stopped.
   *
   * @param chunk bytes the queue now owns
   */
  push(chunk: Uint8Array): void {
    if (this.#ended || this.#discarding) return;
    const waiter = this.#waiter;
    if (waiter !== undefined) {
      this.#waiter = undefined;
      waiter.resolve({ value: chunk, done: false });
      return;
    }
    this.#chunks.push(chunk);
    this.#bytes += chunk.byteLength;
    if (!this.#paused && this.#bytes >= this.#high) {
      this.#paused = true;
      this.#pause();
    }
  }

  /**
   * Marks the end of the data: the reader gets what is queued, then EOF or
   * `error`. Later calls are ignored.
   *
   * @param error why the stream broke; omit for a clean EOF
   */
  end(error?: Error): void {
    if (this.#ended || this.#discarding) return;
    this.#ended = true;
    this.#error = error;
    const waiter = this.#waiter;
    if (waiter === undefined) return;
    this.#waiter = undefined;
    this.#error = undefined;
    if (error === undefined) waiter.resolve(DONE);
    else waiter.reject(error);
  }

  /**
   * Resolves to the next chunk, to `done` at EOF, or rejects with the error
   * given to {@link ByteQueue.end}.
   *
   * @throws {ForesightError} `INTERNAL` when another `next()` is still pending
   */
  next(): Promise<IteratorResult<Uint8Array>> {
    const chunk = this.#chunks.shift();
    if (chunk !== undefined) {
      this.#bytes -= chunk.byteLength;
      if (this.#paused && this.#bytes <= this.#high / 2) {
        this.#paused = false;
        this.#resume();
      }
      return Promise.resolve({ value: chunk, done: false });
    }
    if (this.#ended) {
      const error = this.#error;
      this.#error = undefined;
      return error === undefined ? Promise.resolve(DONE) : Promise.reject(error);
    }
    if (this.#waiter !== undefined) {
      return Promise.reject(new ForesightError("INTERNAL", "Cannot read: another read is pending"));
    }
    return new Promise((resolve, reject) => this.#waiter = { resolve, reject });
  }

  /**
   * Stops reading: drops what is queued and what comes later, and resumes a
   * paused source, so that its end is still reached (a connection whose
   * reader stopped still closes when the peer closes its side).
   */
  return(): Promise<IteratorResult<Uint8Array>> {
    if (this.#paused && !this.#ended) {
      this.#paused = false;
      this.#resume();
    }
    this.#discarding = true;
    this.#ended = true;
    this.#error = undefined;
    this.#chunks = [];
    this.#bytes = 0;
    this.#waiter?.resolve(DONE);
    this.#waiter = undefined;
    return Promise.resolve(DONE);
  }

  /** The queue is its own iterator. */
  [Symbol.asyncIterator](): AsyncIterableIterator<Uint8Array> {
    return this;
  }
}
