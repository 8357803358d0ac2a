/**
 * The `Range` request header (RFC 9110 §14), for one range of bytes.
 *
 * @module
 */

/** What a `Range` header asks of a resource of known size. */
export type ByteRange =
  /** No header, a malformed one, or several ranges: serve the whole body (200). */
  | { readonly kind: "whole" }
  /** One satisfiable range, `start..end` inclusive (206). */
  | { readonly kind: "part"; readonly start: number; readonly end: number }
  /** A well-formed range that lies wholly past the end (416). */
  | { readonly kind: "unsatisfiable" };

const ONE = /^bytes=(\d*)-(\d*)$/;

/**
 * Reads a `Range` header against a body of `size` bytes. As RFC 9110
 * allows, a header that cannot be parsed, or asks for several ranges, is
 * ignored (the whole body is served); an end past the last byte is clamped.
 *
 * @param header the header's value, or undefined
 * @param size the body's length in bytes
 * @example
 * ```ts
 * byteRange("bytes=0-99", 1024);  // { kind: "part", start: 0, end: 99 }
 * byteRange("bytes=-100", 1024);  // { kind: "part", start: 924, end: 1023 }
 * byteRange("bytes=2048-", 1024); // { kind: "unsatisfiable" }
 * ```
 */
export function byteRange(header: string | undefined | null, size: number): ByteRange {
  const m = header ? ONE.exec(header.trim()) : null;
  if (!m) return { kind: "whole" };
  const [, first = "", last = ""] = m;
  if (first === "" && last === "") return { kind: "whole" };
  if (first === "") {
    // A suffix: the last N bytes.
    const n = Number(last);
    if (n === 0 || size === 0) return { kind: "unsatisfiable" };
    return { kind: "part", start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(first);
  if (last !== "" && Number(last) < start) return { kind: "whole" };
  if (start >= size) return { kind: "unsatisfiable" };
  const end = last === "" ? size - 1 : Number(last);
  return { kind: "part", start, end: Math.min(end, size - 1) };
}
