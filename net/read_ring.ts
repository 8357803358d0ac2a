/**
 * Read buffers that are lent, not given: an adapter reads into regions of one
 * ring per connection and hands the reader views of them, so a connection
 * that streams gigabytes allocates its ring once instead of leaving the
 * garbage collector a fresh buffer per read (see {@link LENT_BYTES}).
 *
 * @module
 */

import { LENT_BYTES } from "./types.ts";

/**
 * A ring of read buffers for one connection. {@link region} gives the next
 * place to read into, {@link commit} turns what was read there into the
 * chunk to hand over. A region never overlaps a byte that is unread, or was
 * handed over fewer than {@link LENT_BYTES} bytes ago; when the ring has no
 * such room (a reader that lags far behind), the region is a fresh buffer,
 * the reader's to keep, and the ring is left alone.
 *
 * @example
 * ```ts
 * const ring = new ReadRing(2 * 1_048_576, 262_144);
 * const region = ring.region();
 * const n = await conn.read(region); // Deno
 * const chunk = ring.commit(region, n!);
 * ```
 */
export class ReadRing {
  readonly #size: number;
  readonly #readBytes: number;
  #ring: Uint8Array | undefined;
  /** Where the next read goes in the ring. */
  #at = 0;
  /** Bytes committed into the ring so far. */
  #total = 0;
  /** Since the oldest lent byte: pairs (byte count, ring offset) where each lap began. */
  readonly #laps: number[] = [0, 0];

  /**
   * @param size bytes in the ring; at least `LENT_BYTES` + unread + 2 × `readBytes`
   *   for regions to come from the ring
   * @param readBytes bytes offered to each read
   */
  constructor(size: number, readBytes: number) {
    this.#size = size;
    this.#readBytes = readBytes;
  }

  /**
   * Where the next read may write: `readBytes` of the ring that hold no byte
   * still lent, or a fresh buffer.
   *
   * @param unread bytes committed that the reader has not been handed yet
   */
  region(unread = 0): Uint8Array {
    const ring = this.#ring ??= new Uint8Array(this.#size);
    const n = this.#readBytes;
    const laps = this.#laps;
    // The oldest byte still lent, and where in the ring it lies.
    const oldest = Math.max(0, this.#total - unread - LENT_BYTES);
    while (laps.length > 2 && laps[2]! <= oldest) laps.splice(0, 2);
    const from = laps[1]! + (oldest - laps[0]!);
    if (oldest === this.#total || laps.length === 2) {
      // Everything lent lies in [from, at): room after it, else from the start.
      if (this.#at + n <= this.#size) return ring.subarray(this.#at, this.#at + n);
      if (n <= from || oldest === this.#total) return ring.subarray(0, n);
    } else if (this.#at + n <= from) {
      // This lap began at the start and has not caught up with the lent bytes.
      return ring.subarray(this.#at, this.#at + n);
    }
    return new Uint8Array(n);
  }

  /**
   * The chunk `n` bytes read into `region` (from {@link region}) make; a
   * view of the ring, lent, or the fresh buffer's own bytes.
   */
  commit(region: Uint8Array, n: number): Uint8Array {
    if (region.buffer !== this.#ring?.buffer) return region.subarray(0, n);
    if (region.byteOffset !== this.#at) this.#laps.push(this.#total, region.byteOffset);
    this.#at = region.byteOffset + n;
    this.#total += n;
    return region.subarray(0, n);
  }
}
