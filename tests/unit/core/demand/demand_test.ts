import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { type DemandCatalogue, parseDemand } from "../../../../core/demand/demand.ts";
import { csvRecords } from "../../../../core/demand/csv_records.ts";
import { checkFileName } from "../../../../core/files/file_name.ts";
import type { StoredFile } from "../../../../core/files/file_store.ts";
import { SyntheticStore } from "../../../../core/files/synthetic_store.ts";
import { FileSource } from "../../../../core/files/virtual_files.ts";
import { CANONICAL } from "../../../../core/run/scenario.ts";
import { requestListsJson } from "../../../../roles/sim.ts";
import { isForesightError } from "../../../../errors.ts";

const store = new SyntheticStore({ source: new FileSource({ seed: 1 }), files: 100 });

/** A catalogue over the given names (ids 1..n in order), refusing what a store refuses. */
function catalogue(names: readonly string[]): DemandCatalogue {
  const files: StoredFile[] = names.map((name, i) => ({ id: i + 1, name, size: 1, mtimeMs: 0 }));
  const byName = new Map(files.map((f) => [f.name, f]));
  return {
    list: () => files,
    find: (name) => {
      checkFileName(name);
      return byName.get(name);
    },
  };
}

/** Asserts that `run` throws a CONFIG error whose message matches every pattern. */
function rejects(run: () => unknown, ...patterns: RegExp[]): void {
  assert.throws(run, (e) => {
    assert.ok(isForesightError(e, "CONFIG"), String(e));
    for (const p of patterns) assert.match(e.message, p);
    return true;
  });
}

/** A CSV field, quoted when it must be (or when `always`). */
function field(text: string, always: boolean): string {
  const must = /[",\r\n]/.test(text) || text.trim() !== text || text === "";
  return must || always ? `"${text.replaceAll('"', '""')}"` : text;
}

describe("parseDemand", () => {
  it("reads CSV with a header, names and ids, numbered clients, into ascending lists", () => {
    const text = "client,file\n0,file-007\n0,3\n1,file-100\r\n\n1, 42 \n";
    assert.deepEqual(parseDemand(text, "demand.csv", store), [[3, 7], [42, 100]]);
  });

  it("numbers named clients in the order they first appear", () => {
    const text = "bob,file-010\nalice,file-001\nbob,file-002\n";
    assert.deepEqual(parseDemand(text, "d.csv", store), [[2, 10], [1]]);
  });

  it("reads quoted names holding commas, quotes, spaces and line breaks", () => {
    const names = ["a, b.txt", ' spaced "x" ', "dir/été 1.jpg", "two\nlines", "7"];
    const cat = catalogue(names);
    const text = `r1,"a, b.txt"\nr1," spaced ""x"" "\nr2,dir/été 1.jpg\nr2,"two\nlines"\nr2,7\n`;
    assert.deepEqual(parseDemand(text, "d.csv", cat), [[1, 2], [3, 4, 5]]);
    // "7" is a listed name (file 5), so it names that file, not id 7.
  });

  it("takes a numeric file field as an id when no file has that name", () => {
    assert.deepEqual(parseDemand("0,3\n0,2\n", "d.csv", catalogue(["x", "y", "z"])), [[2, 3]]);
  });

  it("reads JSON arrays of ids and names, by extension or by content", () => {
    assert.deepEqual(parseDemand('[[7,"file-003"],[100]]', "lists.json", store), [[3, 7], [100]]);
    assert.deepEqual(parseDemand(" \n[[5],[4,1]]", "lists.txt", store), [[5], [1, 4]]);
  });

  it("replays foresight sim --dump-requests output exactly (any scenario)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 400 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 400 }),
        fc.integer({ min: 0, max: 2 ** 31 }),
        (files, clients, wanted, seed) => {
          const requests = Math.min(files, wanted);
          const s = { ...CANONICAL, files, clients, requests, seed };
          const dumped = requestListsJson(s);
          const cat = new SyntheticStore({ source: new FileSource({ seed }), files });
          assert.deepEqual(parseDemand(dumped, "requests.json", cat), JSON.parse(dumped));
        },
      ),
      { numRuns: 60 },
    );
  });

  it("reads back any lists written as CSV, with any names, quoted or not, in any order", () => {
    const name = fc.string({ minLength: 1, maxLength: 12, unit: "grapheme" })
      .filter((n) => checkFileNameOk(n));
    fc.assert(
      fc.property(
        fc.uniqueArray(name, { minLength: 1, maxLength: 30 }),
        fc.array(fc.array(fc.nat(), { minLength: 1, maxLength: 12 }), {
          minLength: 1,
          maxLength: 5,
        }),
        fc.boolean(),
        fc.boolean(),
        (names, raw, byName, always) => {
          const cat = catalogue(names);
          const lists = raw.map((l) => [...new Set(l.map((i) => (i % names.length) + 1))]);
          const lines = lists.flatMap((l, c) =>
            l.map((id) => `${c},${field(byName ? names[id - 1]! : String(id), always)}`)
          );
          // Ids written as digits may collide with a name that is digits: ids only when no name is.
          const idsSafe = byName || names.every((n) => !/^\d+$/.test(n));
          fc.pre(idsSafe);
          const text = ["client,file", ...lines.reverse()].join("\n");
          const want = lists.map((l) => [...l].sort((a, b) => a - b));
          assert.deepEqual(parseDemand(text, "d.csv", cat), want);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("refuses unknown names and ids, naming the source, the place and the value", () => {
    rejects(() => parseDemand("0,file-101\n", "d.csv", store), /d\.csv/, /line 1/, /file-101/);
    rejects(() => parseDemand("0,1\n0,101\n", "d.csv", store), /line 2/, /101/, /1\.\.100/);
    rejects(() => parseDemand("[[1],[2,0]]", "l.json", store), /client 1, entry 1/, /id 0/);
    rejects(() => parseDemand('[[1,"nope"]]', "l.json", store), /client 0, entry 1/, /"nope"/);
    rejects(() => parseDemand("reader,path\n0,1\n", "d.csv", store), /line 1/, /"path"/);
  });

  it("refuses names no store may serve", () => {
    rejects(() => parseDemand("0,../etc/passwd\n", "d.csv", store), /line 1/, /cannot be served/);
    rejects(() => parseDemand('[["/etc/passwd"]]', "l.json", store), /entry 0/, /absolute/);
  });

  it("refuses a file listed twice for one client, by name or by id", () => {
    rejects(
      () => parseDemand("0,3\n1,3\n0,file-003\n", "d.csv", store),
      /line 3/,
      /twice/,
      /line 1/,
    );
    rejects(() => parseDemand('[[3,"file-003"]]', "l.json", store), /entry 1/, /twice/, /entry 0/);
  });

  it("refuses empty lists and files without clients", () => {
    rejects(() => parseDemand("0,1\n2,1\n", "d.csv", store), /client 1 has no files/);
    rejects(() => parseDemand("[[1],[]]", "l.json", store), /client 1/, /no files/);
    rejects(() => parseDemand("[]", "l.json", store), /no clients/);
    rejects(() => parseDemand("client,file\n", "d.csv", store), /no client,file records/);
    rejects(() => parseDemand("", "d.csv", store), /no client,file records/);
  });

  it("refuses malformed lines and JSON", () => {
    rejects(() => parseDemand("0,1\n0,2,3\n", "d.csv", store), /line 2/, /2 fields/);
    rejects(() => parseDemand("0\n", "d.csv", store), /line 1/, /2 fields/);
    rejects(() => parseDemand('0,"file-001\n', "d.csv", store), /line 1/, /not closed/);
    rejects(() => parseDemand('0,"a"b\n', "d.csv", store), /line 1/, /after a closing quote/);
    rejects(() => parseDemand('0,a"b\n', "d.csv", store), /line 1/, /quote inside/);
    rejects(() => parseDemand(",file-001\n", "d.csv", store), /line 1/, /client is empty/);
    rejects(() => parseDemand("[[1]", "l.json", store), /l\.json/, /JSON/);
    rejects(() => parseDemand('{"a":[1]}', "l.json", store), /expected an array/);
    rejects(() => parseDemand("[[1],2]", "l.json", store), /client 1/, /expected an array/);
    rejects(() => parseDemand("[[1.5]]", "l.json", store), /entry 0/, /1\.5/);
    rejects(() => parseDemand("[[true]]", "l.json", store), /entry 0/, /id or name/);
  });
});

describe("csvRecords", () => {
  it("gives each record the line it starts on", () => {
    assert.deepEqual(csvRecords('\uFEFFa,b\n\n"x\ny",z\r\nlast,"q"', "t.csv"), [
      { line: 1, fields: ["a", "b"] },
      { line: 3, fields: ["x\ny", "z"] },
      { line: 5, fields: ["last", "q"] },
    ]);
  });
});

function checkFileNameOk(name: string): boolean {
  try {
    checkFileName(name);
    return true;
  } catch {
    return false;
  }
}
