/**
 * A peer reads a frame as views of the chunks its adapter lends, so its
 * largest frame (header and body) must fit in `LENT_BYTES`: a larger
 * `maxBody` is refused when the peer is made, before anything is read.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { lendableMaxBody, MAX_LENT_BODY, Peer } from "../../../live/peer.ts";
import { LENT_BYTES } from "../../../net/types.ts";
import { DEFAULT_MAX_BODY, HEADER_BYTES } from "../../../protocol/mod.ts";
import { isForesightError } from "../../../errors.ts";
import { silentLogger } from "../../../core/run/log.ts";
import type { Conn } from "../../../net/types.ts";

describe("a frame's maxBody and the adapters' lent bytes", () => {
  it("the default frame body fits in what the adapters lend", () => {
    assert.ok(HEADER_BYTES + DEFAULT_MAX_BODY <= LENT_BYTES);
    assert.equal(lendableMaxBody(DEFAULT_MAX_BODY), DEFAULT_MAX_BODY);
  });

  it("takes a body up to LENT_BYTES minus the header, and refuses one byte more", () => {
    assert.equal(MAX_LENT_BODY, LENT_BYTES - HEADER_BYTES);
    assert.equal(lendableMaxBody(MAX_LENT_BODY), MAX_LENT_BODY);
    assert.throws(
      () => lendableMaxBody(MAX_LENT_BODY + 1),
      (e) =>
        isForesightError(e, "CONFIG") &&
        e.message.includes(String(MAX_LENT_BODY + 1)) && e.message.includes(String(LENT_BYTES)),
    );
    assert.throws(() => lendableMaxBody(Number.NaN), (e) => isForesightError(e, "CONFIG"));
  });

  it("a Peer asked for a larger maxBody throws CONFIG before it watches or reads", () => {
    // A connection the peer must never touch: any use of it fails the test.
    const untouched = new Proxy({}, {
      get: (_, key) => assert.fail(`the peer used conn.${String(key)}`),
    }) as Conn;
    assert.throws(
      () => new Peer(untouched, { log: silentLogger, maxBody: 4 * DEFAULT_MAX_BODY }),
      (e) =>
        isForesightError(e, "CONFIG") &&
        /^Cannot read frames of up to 4194304 bytes/.test(e.message),
    );
  });
});
