import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { RequestGate } from "../../../live/request_gate.ts";
import type { CacheRequested } from "../../../engine/cache.ts";

const req = (conn: number, file: number, at?: number): CacheRequested => ({
  type: "requested",
  conn,
  client: conn,
  file,
  at,
});

describe("RequestGate", () => {
  it("lets a request through when nothing the cache expects comes before it", () => {
    const gate = new RequestGate();
    assert.equal(gate.admit(req(1, 5, 100)), true);
    gate.refillAsked(7, 200);
    assert.equal(gate.admit(req(1, 6, 150)), true, "a refill asked after the request");
    assert.equal(gate.admit(req(2, 6)), true, "an undated request");
    assert.equal(gate.held, 0);
  });

  it("holds a request until the push of a refill asked before it begins", () => {
    const gate = new RequestGate();
    gate.refillAsked(7, 100);
    const r = req(1, 8, 120);
    assert.equal(gate.admit(r), false);
    assert.deepEqual(gate.release(), [], "still unanswered");
    gate.pushBegan(7, 300);
    assert.deepEqual(gate.release(), [r]);
    assert.equal(gate.held, 0);
  });

  it("does not hold for a refill whose push can begin only after the request, the link being busy", () => {
    const gate = new RequestGate();
    gate.pushBegan(6, 500); // the link is busy until 500
    gate.refillAsked(7, 100);
    assert.equal(gate.admit(req(1, 8, 120)), true);
    assert.equal(gate.admit(req(2, 8, 500)), false, "from 500 on, the push of 7 may have begun");
    gate.declined(7);
    assert.equal(gate.release().length, 1);
  });

  it("keeps each connection's order, drops a closed connection's requests, and opens at the stop", () => {
    const gate = new RequestGate();
    gate.refillAsked(7, 100);
    const first = req(1, 8, 120);
    const second = req(1, 9, 90);
    const other = req(3, 9, 130);
    assert.equal(gate.admit(first), false);
    assert.equal(gate.admit(second), false, "behind a held request of its connection");
    assert.equal(gate.admit(other), false);
    gate.drop(3);
    assert.equal(gate.held, 2);
    gate.open();
    assert.deepEqual(gate.release(), [first, second]);
  });
});
