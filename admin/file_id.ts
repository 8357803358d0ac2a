/**
 * The `:id` of `GET /files/:id`, checked with valibot: a whole number from 1
 * to the scenario's file count.
 *
 * @module
 */

import * as v from "valibot";

/** The largest id accepted when the file count is not known yet (the scenario schema's limit). */
export const MAX_FILES = 2_000_000;

/**
 * The schema of a file id in a URL, for files 1..`files`: a string of
 * digits, read as a number.
 *
 * @example
 * ```ts
 * v.parse(fileIdSchema(300), "42"); // 42
 * v.safeParse(fileIdSchema(300), "301").success; // false
 * ```
 */
export function fileIdSchema(files: number) {
  const expected = `an integer 1..${files}`;
  return v.pipe(
    v.string(),
    v.regex(/^[0-9]{1,16}$/, `id must be ${expected}`),
    v.transform(Number),
    v.minValue(1, `id must be ${expected}`),
    v.maxValue(files, `id must be ${expected}`),
  );
}

/** The outcome of {@link parseFileId}: the id, or an error body for a 400 answer. */
export type FileIdResult =
  | { readonly ok: true; readonly id: number }
  | {
    readonly ok: false;
    readonly error: {
      readonly error: string;
      readonly code: "SCHEMA_INVALID";
      readonly field: "id";
      readonly value: string;
      readonly expected: string;
    };
  };

/**
 * Checks a URL's file id.
 *
 * @param raw the `:id` path segment
 * @param files the file count, when known (else {@link MAX_FILES})
 * @example
 * ```ts
 * parseFileId("abc", 300);
 * // { ok: false, error: { error: 'Cannot serve file "abc": id must be an integer 1..300', ... } }
 * ```
 */
export function parseFileId(raw: string, files: number = MAX_FILES): FileIdResult {
  const r = v.safeParse(fileIdSchema(files), raw);
  if (r.success) return { ok: true, id: r.output };
  const issue = r.issues[0];
  return {
    ok: false,
    error: {
      error: `Cannot serve file ${JSON.stringify(raw)}: ${issue.message}`,
      code: "SCHEMA_INVALID",
      field: "id",
      value: raw,
      expected: `an integer 1..${files}`,
    },
  };
}
