/**
 * Server-sent events to any number of listeners: each `GET` gets a stream,
 * every `send` goes to all of them, `close` ends them all (so a server can
 * shut down without waiting on open event streams).
 *
 * @module
 */

const encoder = new TextEncoder();

/** Bytes queued for one listener past which it is skipped (a stalled tab). */
const MAX_QUEUED = 64;

/**
 * Fans events out to event-stream responses.
 *
 * @example
 * ```ts
 * const hub = new SseHub();
 * app.get("/events", () => hub.response());
 * hub.send("state", JSON.stringify({ files: 3 }));
 * hub.close();
 * ```
 */
export class SseHub {
  readonly #streams = new Set<ReadableStreamDefaultController<Uint8Array>>();
  #closed = false;

  /** Listeners connected now. */
  get size(): number {
    return this.#streams.size;
  }

  /**
   * A `text/event-stream` response that gets every later event; `first`
   * goes out at once (e.g. the current state).
   */
  response(first?: { event: string; data: string }): Response {
    let me: ReadableStreamDefaultController<Uint8Array> | undefined;
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        me = controller;
        controller.enqueue(encoder.encode("retry: 1000\n\n"));
        if (first) controller.enqueue(frame(first.event, first.data));
        if (this.#closed) controller.close();
        else this.#streams.add(controller);
      },
      cancel: () => {
        if (me) this.#streams.delete(me);
      },
    }, { highWaterMark: MAX_QUEUED });
    return new Response(body, {
      headers: {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache",
        "x-accel-buffering": "no",
      },
    });
  }

  /** Sends one event to every listener (a listener that fell behind misses it). */
  send(event: string, data: string): void {
    const bytes = frame(event, data);
    for (const c of this.#streams) {
      if ((c.desiredSize ?? 0) <= 0) continue;
      try {
        c.enqueue(bytes);
      } catch {
        this.#streams.delete(c);
      }
    }
  }

  /** Ends every stream; later responses end at once. Safe to call twice. */
  close(): void {
    this.#closed = true;
    for (const c of this.#streams) {
      try {
        c.close();
      } catch {
        // already closed by its reader
      }
    }
    this.#streams.clear();
  }
}

function frame(event: string, data: string): Uint8Array {
  const lines = data.split("\n").map((line) => `data: ${line}\n`).join("");
  return encoder.encode(`event: ${event}\n${lines}\n`);
}
