/**
 * The names a file store serves: a path relative to the store's root with `/`
 * separators, which every reader can place under a folder of its own without
 * leaving it.
 *
 * @module
 */

import { ForesightError } from "../../errors.ts";

const DRIVE = /^[A-Za-z]:/;

/**
 * Why `name` cannot name a stored file, or `undefined` when it can. A name is
 * refused when it is empty, absolute (`/x`, `C:x`, `\\x`), has an empty, `.`
 * or `..` segment, or holds a backslash (a folder separator on Windows) or a
 * NUL. Any other character is allowed: spaces, non-ASCII letters.
 *
 * @example
 * ```ts
 * fileNameProblem("photos/été 1.jpg"); // undefined
 * fileNameProblem("../etc/passwd"); // "it has a '..' segment, which leaves the root"
 * ```
 */
export function fileNameProblem(name: string): string | undefined {
  if (name === "") return "the name is empty";
  if (name.startsWith("/") || DRIVE.test(name)) return "the name is absolute";
  if (name.includes("\\")) return "it holds a backslash, a folder separator on Windows";
  if (name.includes("\0")) return "it holds a NUL character";
  for (const segment of name.split("/")) {
    if (segment === "..") return "it has a '..' segment, which leaves the root";
    if (segment === "." || segment === "") return `it has an empty or '.' segment`;
  }
  return undefined;
}

/**
 * Throws unless `name` can name a stored file (see {@link fileNameProblem}).
 *
 * @param name the relative name to check
 * @param doing what the caller was about to do with it, for the message ("serve", "write")
 * @throws {ForesightError} PATH_REFUSED "Cannot serve ../x: it has a '..' segment, ..."
 *
 * @example
 * ```ts
 * checkFileName("a/b.txt"); // passes
 * checkFileName("/etc/passwd", "write"); // throws: Cannot write "/etc/passwd": the name is absolute
 * ```
 */
export function checkFileName(name: string, doing = "serve"): void {
  const problem = fileNameProblem(name);
  if (problem !== undefined) {
    throw new ForesightError("PATH_REFUSED", `Cannot ${doing} ${JSON.stringify(name)}: ${problem}`);
  }
}
