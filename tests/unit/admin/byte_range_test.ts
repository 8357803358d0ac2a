import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { byteRange } from "../../../admin/byte_range.ts";
import { fileIdSchema, parseFileId } from "../../../admin/file_id.ts";
import * as v from "valibot";

describe("byteRange reads one Range header against a size", () => {
  const size = 1000;
  const cases: [string | undefined, ReturnType<typeof byteRange>][] = [
    [undefined, { kind: "whole" }],
    ["", { kind: "whole" }],
    ["bytes=0-0", { kind: "part", start: 0, end: 0 }],
    ["bytes=0-99", { kind: "part", start: 0, end: 99 }],
    ["bytes=500-", { kind: "part", start: 500, end: 999 }],
    ["bytes=990-5000", { kind: "part", start: 990, end: 999 }],
    ["bytes=-1", { kind: "part", start: 999, end: 999 }],
    ["bytes=-5000", { kind: "part", start: 0, end: 999 }],
    [" bytes=1-2 ", { kind: "part", start: 1, end: 2 }],
    ["bytes=1000-", { kind: "unsatisfiable" }],
    ["bytes=1000-2000", { kind: "unsatisfiable" }],
    ["bytes=-0", { kind: "unsatisfiable" }],
    ["bytes=5-1", { kind: "whole" }],
    ["bytes=-", { kind: "whole" }],
    ["bytes=0-1,4-5", { kind: "whole" }],
    ["items=0-1", { kind: "whole" }],
    ["bytes=a-b", { kind: "whole" }],
  ];
  for (const [header, want] of cases) {
    it(`${JSON.stringify(header)} → ${JSON.stringify(want)}`, () => {
      assert.deepEqual(byteRange(header, size), want);
    });
  }
  it("an empty body satisfies no range", () => {
    assert.deepEqual(byteRange("bytes=0-", 0), { kind: "unsatisfiable" });
    assert.deepEqual(byteRange("bytes=-10", 0), { kind: "unsatisfiable" });
  });
});

describe("file ids are checked with valibot", () => {
  it("accepts whole numbers 1..files and returns them as numbers", () => {
    assert.equal(v.parse(fileIdSchema(300), "1"), 1);
    assert.equal(v.parse(fileIdSchema(300), "300"), 300);
    assert.deepEqual(parseFileId("42", 300), { ok: true, id: 42 });
  });
  it("rejects anything else with a message naming the value and the range", () => {
    for (const raw of ["0", "301", "-1", "1.0", "1e2", "abc", "", " 7", "0x10"]) {
      const r = parseFileId(raw, 300);
      assert.equal(r.ok, false, raw);
      if (!r.ok) {
        assert.equal(
          r.error.error,
          `Cannot serve file ${JSON.stringify(raw)}: id must be an integer 1..300`,
        );
        assert.equal(r.error.value, raw);
      }
    }
  });
  it("without a file count, accepts up to the scenario schema's limit", () => {
    assert.equal(parseFileId("2000000").ok, true);
    assert.equal(parseFileId("2000001").ok, false);
  });
});
