/**
 * Records of a CSV text (RFC 4180 with lenient spacing), each with the line
 * it starts on, for error messages that point at the line.
 *
 * @module
 */

import { ForesightError } from "../../errors.ts";

/** One record of a CSV text. */
export interface CsvRecord {
  /** 1-based line the record starts on. */
  readonly line: number;
  /** Its fields: quoted ones as written (quotes removed, `""` → `"`), unquoted ones trimmed. */
  readonly fields: readonly string[];
}

/**
 * Splits `text` into records. Fields are separated by commas; a field in
 * double quotes may hold commas, spaces, line breaks and `""` for a quote;
 * spaces around a field are dropped unless they are inside its quotes. Blank
 * lines are skipped; `\r\n`, `\n` and a leading byte-order mark are accepted.
 *
 * @param text the CSV text
 * @param sourceName where it came from, for the message
 * @throws {ForesightError} CONFIG naming the source and line when a quote is
 * not closed, text follows a closing quote, or a quote appears inside an unquoted field
 *
 * @example
 * ```ts
 * csvRecords('client,file\n0,"a, b.txt"\n', "demand.csv");
 * // [{ line: 1, fields: ["client", "file"] }, { line: 2, fields: ["0", "a, b.txt"] }]
 * ```
 */
export function csvRecords(text: string, sourceName: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  const bad = (line: number, why: string) =>
    new ForesightError("CONFIG", `Cannot read demand ${sourceName}: line ${line}: ${why}`);
  let at = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  while (at < text.length) {
    const start = line;
    const fields: string[] = [];
    let blank = true;
    for (;;) {
      // One field: skip spaces, then a quoted or an unquoted value.
      while (text[at] === " " || text[at] === "\t") at++;
      let value = "";
      if (text[at] === '"') {
        blank = false;
        at++;
        for (;;) {
          if (at >= text.length) throw bad(start, "a quoted field is not closed");
          const ch = text[at]!;
          if (ch === '"' && text[at + 1] === '"') {
            value += '"';
            at += 2;
          } else if (ch === '"') {
            at++;
            break;
          } else {
            if (ch === "\n") line++;
            value += ch;
            at++;
          }
        }
        while (text[at] === " " || text[at] === "\t") at++;
        const next = text[at];
        if (next !== undefined && next !== "," && next !== "\n" && next !== "\r") {
          throw bad(
            line,
            `text after a closing quote (${JSON.stringify(text.slice(at, at + 20))})`,
          );
        }
      } else {
        const end = fieldEnd(text, at);
        value = text.slice(at, end).trim();
        if (value.includes('"')) {
          throw bad(line, `a quote inside an unquoted field (${JSON.stringify(value)})`);
        }
        if (value !== "") blank = false;
        at = end;
      }
      fields.push(value);
      if (text[at] === ",") {
        blank = false;
        at++;
        continue;
      }
      if (text[at] === "\r") at++;
      if (text[at] === "\n") {
        at++;
        line++;
      }
      break;
    }
    if (!blank) records.push({ line: start, fields });
  }
  return records;
}

/** Index of the comma or line end that ends the unquoted field at `at`. */
function fieldEnd(text: string, at: number): number {
  let end = at;
  while (end < text.length) {
    const ch = text[end];
    if (ch === "," || ch === "\n" || ch === "\r") break;
    end++;
  }
  return end;
}
