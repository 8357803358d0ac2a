import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { sortBySize } from "../../../../core/collections/size_order.ts";

/** The comparator every caller used before (sizes, then ids, each way). */
function reference(
  files: number[],
  size: (f: number) => number,
  sizes: "ascending" | "descending",
  ids: "ascending" | "descending",
): number[] {
  const s = sizes === "ascending" ? 1 : -1;
  const i = ids === "ascending" ? 1 : -1;
  return [...files].sort((a, b) => s * (size(a) - size(b)) || i * (a - b));
}

describe("sortBySize", () => {
  // Many equal sizes, so the ids decide often; ids and sizes at the edges of the fast path.
  let x = 12345;
  const rand = (n: number) => (x = (x * 1103515245 + 12345) % 2147483648) % n;
  const cases: [string, number[], (f: number) => number][] = [
    ["KiB sizes", Array.from({ length: 3000 }, (_, i) => i + 1), (f) => f * 1024],
    ["few sizes", Array.from({ length: 3000 }, () => rand(2 ** 21)), (f) => (f % 7) * 1000],
    [
      "sizes near 2^32",
      Array.from({ length: 500 }, (_, i) => 2 ** 21 - 1 - i),
      (f) => 2 ** 32 - 1 - (f % 3),
    ],
    [
      "ids past 2^21 (comparator)",
      Array.from({ length: 500 }, (_, i) => 2 ** 21 + 7 * i),
      (f) => f % 5,
    ],
    ["sizes not whole (comparator)", Array.from({ length: 500 }, (_, i) => i), (f) => (f % 9) / 3],
    ["short list", [5, 3, 9, 1], (f) => f % 2],
  ];
  for (const [name, files, size] of cases) {
    for (const sizes of ["ascending", "descending"] as const) {
      for (const ids of ["ascending", "descending"] as const) {
        it(`${name}: sizes ${sizes}, ids ${ids}, as the comparator sorts`, () => {
          const got = sortBySize([...new Set(files)], size, sizes, ids);
          assert.deepEqual(got, reference([...new Set(files)], size, sizes, ids));
        });
      }
    }
  }
});
