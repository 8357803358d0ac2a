/**
 * One buffer out of many parts, for runtimes whose sockets write one buffer
 * at a time (Deno, Bun): a batch of frames costs one system call instead of
 * one each. Measured with `bench/relay.ts` against writing a page framed in
 * place as it is (no copy, a call per page): the copy costs the relay about
 * what the calls it saves cost, and the receiver, which gets fewer and
 * larger segments, spends less (Bun's sink 0.60 → 0.53 CPU s per GiB).
 *
 * @module
 */

/**
 * Bytes of the buffer a connection reuses for its gathered writes (320 KiB:
 * a peer's batch of frames, see live/chunk_frame.ts, fits); a larger write gets its own.
 */
export const GATHER_BYTES = 327_680;

/**
 * `parts` as one buffer: the only part itself, else a copy of all of them
 * into the start of `arena()` (of {@link GATHER_BYTES}, the caller's to reuse
 * once the write is done; asked for only when needed) or into a fresh buffer
 * when they do not fit.
 *
 * @example
 * ```ts
 * const arena = new Uint8Array(GATHER_BYTES);
 * gather([new Uint8Array([1]), new Uint8Array([2, 3])], () => arena); // [1, 2, 3], a view of arena
 * ```
 */
export function gather(parts: readonly Uint8Array[], arena: () => Uint8Array): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  let total = 0;
  for (const part of parts) total += part.length;
  const out = total <= GATHER_BYTES ? arena().subarray(0, total) : new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
