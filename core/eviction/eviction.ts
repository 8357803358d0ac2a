/**
 * The victim choice of a pull-through cache, as a small strategy object: the
 * cache tells it what enters, what leaves and what is asked for, and asks it
 * which held file to evict next.
 *
 * @module
 */

/** Chooses which held file a {@link PullThroughCache} evicts to make room. */
export interface Eviction {
  /** A client (its index, when known) asked for `file`, held or not. */
  requested(file: number, client?: number): void;
  /** `file` entered the cache. */
  admitted(file: number): void;
  /** `file` left the cache. */
  removed(file: number): void;
  /** The held file to evict next among those `evictable` accepts, or undefined when none is. */
  victim(evictable: (file: number) => boolean): number | undefined;
}

/** Reads a file's size. */
export type SizeOf = (file: number) => number;
