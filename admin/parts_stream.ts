/**
 * A Web `ReadableStream` over an iterable of byte parts, pulled one part at a
 * time, so a slow HTTP client holds back the reading.
 *
 * @module
 */

/**
 * Streams the parts `open()` yields (sync or async), copying each (the parts may be views
 * of memory the role reuses). `open` runs at the first pull, so a response
 * whose body is never read (HEAD) reads nothing. An exception from the
 * iterable errors the stream (the HTTP body ends early).
 *
 * @example
 * ```ts
 * const body = partsStream(() => [new Uint8Array([1, 2]), new Uint8Array([3])]);
 * new Response(body); // 3 bytes
 * ```
 */
export function partsStream(
  open: () => Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
): ReadableStream<Uint8Array> {
  let parts: Iterator<Uint8Array> | AsyncIterator<Uint8Array> | undefined;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (parts === undefined) {
        const it = open();
        parts = Symbol.asyncIterator in it ? it[Symbol.asyncIterator]() : it[Symbol.iterator]();
      }
      while (true) {
        const next = await parts.next();
        if (next.done) return controller.close();
        if (next.value.length === 0) continue;
        return controller.enqueue(next.value.slice());
      }
    },
    async cancel() {
      await parts?.return?.();
    },
  });
}
