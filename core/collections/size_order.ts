/**
 * Sorting file ids by size, then by id: the planners' most frequent sort.
 * When every size is a whole number of bytes below 2^32 and every id a whole
 * number below 2^21, each file becomes one number (size · 2^21 + id) that a
 * typed array sorts without calling a comparator; otherwise the comparator
 * does it. The order is the same either way (sizes, then ids, decide every
 * pair).
 *
 * @module
 */

/** Ids below this, sizes below 2^32: a key is below 2^53, so exact. */
const ID_LIMIT = 2 ** 21;
const SIZE_LIMIT = 2 ** 32;

/**
 * Sorts `files` in place by size, ties by id, each `"ascending"` or
 * `"descending"`; returns `files`.
 *
 * @example
 * ```ts
 * sortBySize([3, 1, 2], (f) => (f === 3 ? 0 : 10), "descending", "ascending"); // [1, 2, 3]
 * ```
 */
export function sortBySize(
  files: number[],
  size: (file: number) => number,
  sizes: "ascending" | "descending",
  ids: "ascending" | "descending",
): number[] {
  const n = files.length;
  // (A short list sorts as fast with the comparator.)
  if (n < 32) return files.sort(comparator(size, sizes, ids));
  // Keys sorted ascending, read backwards for descending sizes; the id part
  // is flipped when ids run the other way from sizes.
  const flip = sizes !== ids;
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const f = files[i]!;
    const s = size(f);
    if (
      !(Number.isInteger(f) && f >= 0 && f < ID_LIMIT && Number.isInteger(s) && s >= 0 &&
        s < SIZE_LIMIT)
    ) {
      return files.sort(comparator(size, sizes, ids));
    }
    keys[i] = s * ID_LIMIT + (flip ? ID_LIMIT - 1 - f : f);
  }
  keys.sort();
  for (let i = 0; i < n; i++) {
    const key = keys[sizes === "ascending" ? i : n - 1 - i]!;
    const low = key % ID_LIMIT;
    files[i] = flip ? ID_LIMIT - 1 - low : low;
  }
  return files;
}

function comparator(
  size: (file: number) => number,
  sizes: "ascending" | "descending",
  ids: "ascending" | "descending",
): (a: number, b: number) => number {
  const s = sizes === "ascending" ? 1 : -1;
  const i = ids === "ascending" ? 1 : -1;
  return (a, b) => s * (size(a) - size(b)) || i * (a - b);
}
