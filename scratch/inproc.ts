import { nodeAdapter } from "../net/node.ts";
import { runOrigin } from "../live/origin.ts";
import { runCache } from "../live/cache.ts";
import { runClient } from "../live/client.ts";
import { CANONICAL } from "../core/scenario.ts";
import type { Logger } from "../core/log.ts";

const mk = (role: string): Logger => ({ log(l, m, f) { if (l !== "debug") console.error(role, l, m, JSON.stringify(f ?? {})); }, child() { return this; } });
const s = { ...CANONICAL, ...JSON.parse(process.env.SCN ?? "{}") };
let port = 0;
const ready = new Promise<void>((r) => {
  void runOrigin({ scenario: s, adapter: nodeAdapter, listen: { host: "127.0.0.1", port: 0 }, log: mk("data"), onListening: (a) => { port = a.port; r(); } })
    .then((x) => console.log("origin", JSON.stringify(x)));
});
await ready;
const o = { host: "127.0.0.1", port };
const t0 = performance.now();
const caches = [0, 1].map((i) => runCache({ adapter: nodeAdapter, origin: o, listen: { host: "127.0.0.1", port: 0 }, index: i, log: mk("cache" + i) }));
const clients = [0, 1, 2, 3].map((i) => runClient({ adapter: nodeAdapter, origin: o, index: i, log: mk("client" + i) }));
for (const c of await Promise.all(clients)) console.log("client", JSON.stringify(c));
for (const c of await Promise.all(caches)) console.log("cache", JSON.stringify(c));
console.log("wall", (performance.now() - t0) / 1000);
