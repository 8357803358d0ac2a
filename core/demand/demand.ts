/**
 * Demand from a file: which files each client will ask for, read from CSV
 * (`client,file`) or JSON (an array per client, as `foresight sim
 * --dump-requests` writes), checked against a store's catalogue before
 * anything starts.
 *
 * @module
 */

import { ForesightError } from "../../errors.ts";
import { csvRecords } from "./csv_records.ts";
import type { FileStore, StoredFile } from "../files/file_store.ts";

/** What {@link parseDemand} needs of a store: its names and its ids. */
export type DemandCatalogue = Pick<FileStore, "find" | "list">;

/**
 * One ascending list of file ids per client, read from a demand file.
 *
 * **Format.** A `sourceName` ending in `.json` is JSON, one ending in `.csv`
 * is CSV; any other is JSON when its first non-blank character is `[`, else
 * CSV.
 *
 * **JSON**: an array with one array per client (client i is the i-th, from 0);
 * an entry is a file id (an integer, 1..n of the catalogue) or a file name (a
 * string, exactly as the catalogue lists it). `foresight sim --dump-requests`
 * output is such a file.
 *
 * **CSV**: one `client,file` record per line; a first line that reads
 * `client,file` (any case) is a header and skipped. `file` is a name the
 * catalogue lists or, when it lists none by that text, a decimal id. Clients
 * are either all numbered (every `client` a decimal integer: client i is
 * the run's client i, counted from 0, and every number from 0 to the largest
 * must have files) or all named (any other text; clients are numbered in the
 * order their names first appear). Quote a field holding commas, quotes or
 * leading or trailing spaces (`"my file, v2.txt"`, `""` for a quote).
 *
 * Lists come back ascending (the wire's `list` is ascending), whatever the
 * order of the file.
 *
 * @param text the demand file's text
 * @param sourceName the file's name: picks the format and appears in every error
 * @param catalogue the store the files are in (only `find` and `list` are called; no bytes read)
 * @throws {ForesightError} CONFIG naming the source, the line (CSV) or client and
 * entry (JSON) and the value, for: malformed text, an unknown name or id, a name
 * no store may serve, a file listed twice for one client, a client without files,
 * no clients at all
 *
 * @example
 * ```ts
 * const store = new SyntheticStore({ source: new FileSource({ seed: 1 }), files: 100 });
 * parseDemand("client,file\n0,file-007\n0,3\n1,file-100\n", "demand.csv", store);
 * // [[3, 7], [100]]
 * parseDemand("[[7,3],[100]]", "requests.json", store); // [[3, 7], [100]]
 * ```
 */
export function parseDemand(
  text: string,
  sourceName: string,
  catalogue: DemandCatalogue,
): number[][] {
  const lower = sourceName.toLowerCase();
  const json = lower.endsWith(".json") ||
    (!lower.endsWith(".csv") && text.replace(/^\uFEFF/, "").trimStart().startsWith("["));
  const lists = json
    ? jsonDemand(text, sourceName, catalogue)
    : csvDemand(text, sourceName, catalogue);
  return lists.map((list) => list.sort((a, b) => a - b));
}

function fail(sourceName: string, where: string, why: string, cause?: unknown): ForesightError {
  return new ForesightError(
    "CONFIG",
    `Cannot read demand ${sourceName}: ${where}: ${why}`,
    cause === undefined ? undefined : { cause },
  );
}

/** The catalogue's file named `name`, with a refused name reported as unknown to the caller. */
function findName(
  catalogue: DemandCatalogue,
  name: string,
  failWith: (why: string, cause?: unknown) => ForesightError,
): StoredFile | undefined {
  try {
    return catalogue.find(name);
  } catch (e) {
    throw failWith(`file ${JSON.stringify(name)} cannot be served: ${(e as Error).message}`, e);
  }
}

/** True when `id` is one of the catalogue's ids. */
function knownId(catalogue: DemandCatalogue, id: number): boolean {
  return Number.isSafeInteger(id) && id >= 1 && id <= catalogue.list().length;
}

function jsonDemand(text: string, sourceName: string, catalogue: DemandCatalogue): number[][] {
  let value: unknown;
  try {
    value = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (e) {
    throw fail(sourceName, "JSON", (e as Error).message, e);
  }
  if (!Array.isArray(value)) {
    throw fail(sourceName, "JSON", "expected an array with one array of files per client");
  }
  if (value.length === 0) throw fail(sourceName, "JSON", "no clients (the array is empty)");
  const count = catalogue.list().length;
  return value.map((entries: unknown, c) => {
    if (!Array.isArray(entries)) {
      throw fail(
        sourceName,
        `client ${c}`,
        `expected an array of files, got ${JSON.stringify(entries)}`,
      );
    }
    if (entries.length === 0) throw fail(sourceName, `client ${c}`, "no files");
    const seen = new Map<number, number>();
    return entries.map((entry: unknown, i) => {
      const where = `client ${c}, entry ${i}`;
      let id: number;
      if (typeof entry === "number") {
        if (!knownId(catalogue, entry)) {
          throw fail(sourceName, where, `unknown file id ${entry} (the store has ids 1..${count})`);
        }
        id = entry;
      } else if (typeof entry === "string") {
        const file = findName(
          catalogue,
          entry,
          (why, cause) => fail(sourceName, where, why, cause),
        );
        if (file === undefined) {
          throw fail(sourceName, where, `unknown file ${JSON.stringify(entry)}`);
        }
        id = file.id;
      } else {
        throw fail(sourceName, where, `expected a file id or name, got ${JSON.stringify(entry)}`);
      }
      const first = seen.get(id);
      if (first !== undefined) {
        throw fail(
          sourceName,
          where,
          `file ${JSON.stringify(entry)} is listed twice (also entry ${first})`,
        );
      }
      seen.set(id, i);
      return id;
    });
  });
}

function csvDemand(text: string, sourceName: string, catalogue: DemandCatalogue): number[][] {
  const records = csvRecords(text, sourceName);
  const first = records[0];
  if (
    first !== undefined && first.fields.length === 2 &&
    first.fields[0]!.toLowerCase() === "client" && first.fields[1]!.toLowerCase() === "file"
  ) records.shift();
  if (records.length === 0) throw fail(sourceName, "CSV", "no client,file records");
  const numbered = records.every((r) => /^\d+$/.test(r.fields[0] ?? ""));
  const names = new Map<string, number>();
  const lists: { ids: number[]; lines: Map<number, number> }[] = [];
  for (const { line, fields } of records) {
    const where = `line ${line}`;
    if (fields.length !== 2) {
      throw fail(
        sourceName,
        where,
        `expected 2 fields (client,file), got ${fields.length}: ${JSON.stringify(fields)}`,
      );
    }
    const [client, fileText] = fields as [string, string];
    if (client === "") throw fail(sourceName, where, "the client is empty");
    if (fileText === "") throw fail(sourceName, where, "the file is empty");
    let c: number;
    if (numbered) {
      c = Number(client);
      if (!Number.isSafeInteger(c) || c > 1_000_000) {
        throw fail(sourceName, where, `client number ${client} is too large`);
      }
    } else {
      c = names.get(client) ?? names.size;
      names.set(client, c);
    }
    const id = csvFileId(catalogue, fileText, (why, cause) => fail(sourceName, where, why, cause));
    while (lists.length <= c) lists.push({ ids: [], lines: new Map() });
    const list = lists[c]!;
    const twice = list.lines.get(id);
    if (twice !== undefined) {
      throw fail(
        sourceName,
        where,
        `file ${JSON.stringify(fileText)} is listed twice for client ${
          JSON.stringify(client)
        } (also line ${twice})`,
      );
    }
    list.lines.set(id, line);
    list.ids.push(id);
  }
  const empty = lists.findIndex((l) => l.ids.length === 0);
  if (empty >= 0) {
    throw fail(
      sourceName,
      "CSV",
      `client ${empty} has no files (numbered clients count from 0, and every number up to ${
        lists.length - 1
      } needs files)`,
    );
  }
  return lists.map((l) => l.ids);
}

/** The id a CSV `file` field names: a listed name first, else a decimal id. */
function csvFileId(
  catalogue: DemandCatalogue,
  text: string,
  failWith: (why: string, cause?: unknown) => ForesightError,
): number {
  const numeric = /^\d+$/.test(text);
  const byName = numeric ? safeFind(catalogue, text) : findName(catalogue, text, failWith);
  if (byName !== undefined) return byName.id;
  if (numeric) {
    const id = Number(text);
    if (knownId(catalogue, id)) return id;
    throw failWith(
      `unknown file ${text} (no file has that name, and the ids are 1..${catalogue.list().length})`,
    );
  }
  throw failWith(`unknown file ${JSON.stringify(text)}`);
}

/** `find`, with a name the store refuses taken as not found (a digit string is never refused). */
function safeFind(catalogue: DemandCatalogue, name: string): StoredFile | undefined {
  try {
    return catalogue.find(name);
  } catch {
    return undefined;
  }
}
