import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { loadAdapter } from "../../../net/select.ts";
import { runOrigin } from "../../../live/origin.ts";
import { runCache } from "../../../live/cache.ts";
import { runClient } from "../../../live/client.ts";
import { answer, check, newNonce } from "../../../live/secret.ts";
import { CANONICAL, type Scenario } from "../../../core/run/scenario.ts";
import { silentLogger } from "../../../core/run/log.ts";
import type { Address } from "../../../net/types.ts";

const tiny: Scenario = {
  ...CANONICAL,
  files: 60,
  caches: 1,
  clients: 1,
  requests: 12,
  capacityKiB: 300,
  scale: 1000,
  seed: 4,
  policy: "foresight",
};

describe("shared secret", () => {
  it("answers a challenge only with the right secret, role and nonce", async () => {
    const nonce = newNonce();
    assert.match(nonce, /^[0-9a-f]{64}$/);
    assert.notEqual(newNonce(), nonce);
    const mac = await answer("s3cret", "client", nonce);
    assert.equal(await check("s3cret", "client", nonce, mac), true);
    assert.equal(await check("other", "client", nonce, mac), false);
    assert.equal(await check("s3cret", "cache", nonce, mac), false);
    assert.equal(await check("s3cret", "client", newNonce(), mac), false);
    assert.equal(await check("s3cret", "client", nonce, "zz"), false);
  });

  it("admits holders over real sockets, refuses a wrong or missing secret, and the run completes", async () => {
    const adapter = await loadAdapter();
    const secret = "s3cret";
    let origin!: Address;
    let listening!: () => void;
    const ready = new Promise<void>((resolve) => (listening = resolve));
    const originRun = runOrigin({
      scenario: tiny,
      adapter,
      log: silentLogger,
      secret,
      listen: { host: "127.0.0.1", port: 0 },
      onListening: (a) => {
        origin = a;
        listening();
      },
    });
    await ready;
    const wrong = await runClient({
      adapter,
      origin,
      log: silentLogger,
      secret: "guess",
      connectDeadlineMs: 2000,
    });
    assert.equal(wrong.ok, false);
    assert.match(wrong.error ?? "", /AUTH.*wrong secret/);
    const missing = await runClient({
      adapter,
      origin,
      log: silentLogger,
      connectDeadlineMs: 2000,
    });
    assert.equal(missing.ok, false);
    assert.match(missing.error ?? "", /requires a shared secret/);
    const cache = runCache({
      adapter,
      origin,
      listen: { host: "127.0.0.1", port: 0 },
      log: silentLogger,
      secret,
    });
    const client = await runClient({ adapter, origin, log: silentLogger, secret });
    assert.equal(client.ok, true, client.error);
    assert.equal(client.verified, tiny.requests);
    assert.equal((await cache).ok, true);
    assert.equal((await originRun).ok, true);
  });
});
