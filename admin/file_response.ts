/**
 * The HTTP answer for one file's bytes: whole (200), one range (206) or an
 * unsatisfiable range (416), streamed.
 *
 * @module
 */

import type { FileAccess } from "../core/run/role_view.ts";
import { byteRange } from "./byte_range.ts";
import { partsStream } from "./parts_stream.ts";

/**
 * Answers a request for file `id` with its bytes, honouring a `Range` header.
 *
 * @param id the file id (names the download)
 * @param file the bytes, from `RoleView.file(id)`
 * @param range the request's `Range` header, if any
 * @param headers more headers for every answer (e.g. `X-Cache`)
 * @example
 * ```ts
 * const file = view.file?.(7);
 * if (file) return fileResponse(7, file, c.req.header("range"), { "x-cache": "HIT" });
 * ```
 */
export function fileResponse(
  id: number,
  file: FileAccess,
  range: string | undefined,
  headers: Record<string, string> = {},
): Response {
  const size = file.size;
  const want = byteRange(range, size);
  if (want.kind === "unsatisfiable") {
    return Response.json(
      { error: `Cannot serve ${range} of file ${id}: it has ${size} bytes` },
      { status: 416, headers: { ...headers, "content-range": `bytes */${size}` } },
    );
  }
  const start = want.kind === "part" ? want.start : 0;
  const length = want.kind === "part" ? want.end - want.start + 1 : size;
  const common = {
    ...headers,
    "content-type": "application/octet-stream",
    "content-length": String(length),
    "content-disposition": `inline; filename="file-${id}.bin"`,
    "accept-ranges": "bytes",
    "cache-control": "no-store",
  };
  const body = length === 0 ? null : partsStream(() => file.read(start, length));
  if (want.kind === "whole") return new Response(body, { status: 200, headers: common });
  return new Response(body, {
    status: 206,
    headers: { ...common, "content-range": `bytes ${start}-${start + length - 1}/${size}` },
  });
}
