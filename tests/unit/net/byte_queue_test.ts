/**
 * The bounded queue behind the Node and Bun readable sides.
 *
 * @module
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isForesightError } from "../../../errors.ts";
import { ByteQueue } from "../../../net/byte_queue.ts";

function recordingQueue(highWaterMark: number) {
  const calls: string[] = [];
  const queue = new ByteQueue({
    highWaterMark,
    pause: () => calls.push("pause"),
    resume: () => calls.push("resume"),
  });
  return { queue, calls };
}

const bytes = (n: number) => new Uint8Array(n);

describe("ByteQueue", () => {
  it("pauses the source at the high-water mark and resumes it at half", async () => {
    const { queue, calls } = recordingQueue(100);
    queue.push(bytes(60));
    assert.deepEqual(calls, []);
    queue.push(bytes(60));
    assert.deepEqual(calls, ["pause"]);
    queue.push(bytes(10)); // already paused: no second call
    assert.equal(queue.bufferedBytes, 130);
    await queue.next(); // 70 left: above half
    assert.deepEqual(calls, ["pause"]);
    await queue.next(); // 10 left
    assert.deepEqual(calls, ["pause", "resume"]);
  });

  it("hands a chunk straight to a waiting reader", async () => {
    const { queue } = recordingQueue(100);
    const next = queue.next();
    queue.push(Uint8Array.of(7));
    assert.deepEqual(await next, { value: Uint8Array.of(7), done: false });
    assert.equal(queue.bufferedBytes, 0);
  });

  it("delivers queued chunks before EOF, and ignores pushes after it", async () => {
    const { queue } = recordingQueue(100);
    queue.push(Uint8Array.of(1));
    queue.end();
    queue.push(Uint8Array.of(2));
    const seen: number[] = [];
    for await (const chunk of queue) seen.push(...chunk);
    assert.deepEqual(seen, [1]);
  });

  it("delivers queued chunks before the error, then throws it once", async () => {
    const { queue } = recordingQueue(100);
    const boom = new Error("boom");
    queue.push(Uint8Array.of(1));
    queue.end(boom);
    assert.deepEqual((await queue.next()).value, Uint8Array.of(1));
    await assert.rejects(queue.next(), (e) => e === boom);
    assert.equal((await queue.next()).done, true);
  });

  it("rejects a waiting reader when the source breaks", async () => {
    const { queue } = recordingQueue(100);
    const next = queue.next();
    queue.end(new Error("reset"));
    await assert.rejects(next, /reset/);
  });

  it("refuses a second pending read", async () => {
    const { queue } = recordingQueue(100);
    const first = queue.next();
    await assert.rejects(queue.next(), (e) => isForesightError(e, "INTERNAL"));
    queue.end();
    assert.equal((await first).done, true);
  });

  it("stops on break: drops what is queued and what comes later, and keeps the source flowing", async () => {
    const { queue, calls } = recordingQueue(15);
    queue.push(bytes(10));
    queue.push(bytes(10)); // past the high-water mark: paused
    assert.deepEqual(calls, ["pause"]);
    for await (const _ of queue) break;
    assert.deepEqual(calls, ["pause", "resume"], "resumed, so that the end is still reached");
    assert.equal(queue.bufferedBytes, 0);
    queue.push(bytes(10));
    assert.equal(queue.bufferedBytes, 0, "later chunks are dropped");
    assert.deepEqual(calls, ["pause", "resume"], "and never pause the source again");
    assert.equal((await queue.next()).done, true);
  });
});
