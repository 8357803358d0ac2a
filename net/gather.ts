/**
 * Fewer writes out of many parts, for runtimes whose sockets write one
 * buffer at a time (Deno, Bun): small parts are copied together with their
 * neighbours, so a batch of frames costs one system call instead of one
 * each, while a large part that stands alone (a cache page framed in place)
 * is written as it is, never copied.
 *
 * @module
 */

/**
 * Bytes of the buffer a connection reuses for its gathered writes (320 KiB:
 * a peer's batch of frames, see live/chunk_frame.ts, fits); what does not fit gets its own.
 */
export const GATHER_BYTES = 327_680;
/** A part this large is written as it is when nothing small waits before it. */
export const DIRECT_BYTES = 16_384;

/**
 * The buffers to write, in order, that send `parts`: runs of parts gathered
 * into `arena()` (of {@link GATHER_BYTES}, the caller's to reuse once every
 * write is done; asked for only when a run is gathered) or into a
 * fresh buffer when the arena is used up, and parts of at least
 * {@link DIRECT_BYTES} that follow no small part, as they are.
 *
 * @example
 * ```ts
 * const arena = new Uint8Array(GATHER_BYTES);
 * const page = new Uint8Array(65_536);
 * writesOf([page, new Uint8Array([1]), new Uint8Array([2, 3])], () => arena);
 * // [page, [1, 2, 3] (a view of arena)]
 * ```
 */
export function writesOf(parts: readonly Uint8Array[], arena: () => Uint8Array): Uint8Array[] {
  const writes: Uint8Array[] = [];
  let used = 0;
  let from = 0;
  /** Gathers parts[from, to) into one write. */
  const run = (to: number) => {
    if (to - from === 1) writes.push(parts[from]!);
    else if (to > from) {
      let total = 0;
      for (let i = from; i < to; i++) total += parts[i]!.length;
      const room = used + total <= GATHER_BYTES;
      const out = room ? arena().subarray(used, used += total) : new Uint8Array(total);
      let at = 0;
      for (let i = from; i < to; i++) {
        out.set(parts[i]!, at);
        at += parts[i]!.length;
      }
      writes.push(out);
    }
    from = to;
  };
  for (let i = 0; i < parts.length; i++) {
    // A large part goes alone unless a small one (a frame's header) waits for it.
    const big = parts[i]!.length >= DIRECT_BYTES;
    if (big && (i === from || parts[i - 1]!.length >= DIRECT_BYTES)) {
      run(i);
      run(i + 1);
    }
  }
  run(parts.length);
  return writes;
}
