// The dashboard served on this runtime's HTTP server, read with fetch() like a
// browser would: the page, the state, the event stream, the charts.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { dashboard } from "../../../admin/dashboard_app.ts";
import { runCharts } from "../../../report/run_charts.ts";
import { RunTimeline } from "../../../report/run_timeline.ts";
import { httpRuntime, serve, type Served } from "../../../admin/serve.ts";
import { CANONICAL } from "../../../core/run/scenario.ts";
import { progress } from "../protocol/fake_events.ts";

/** Reads server-sent events from a response until `count` arrived or the stream ends. */
async function readEvents(r: Response, count: number): Promise<{ event: string; data: string }[]> {
  const reader = r.body!.pipeThrough(new TextDecoderStream()).getReader();
  const events: { event: string; data: string }[] = [];
  let buf = "";
  while (events.length < count) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += value;
    let end: number;
    while ((end = buf.indexOf("\n\n")) >= 0) {
      const block = buf.slice(0, end);
      buf = buf.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = [...block.matchAll(/^data: (.*)$/gm)].map((m) => m[1]).join("\n");
      if (event) events.push({ event, data });
    }
  }
  await reader.cancel().catch(() => {});
  return events;
}

describe(`dashboard on ${httpRuntime()}`, () => {
  const s = { ...CANONICAL, clients: 2, requests: 5 };
  const tl = new RunTimeline(s, 0);
  const board = dashboard(() => ({ ...tl.snapshot(), charts: runCharts(tl) }));
  let server: Served;
  let base = "";
  before(async () => {
    server = await serve(board.app.fetch, { port: 0 });
    base = `http://127.0.0.1:${server.port}`;
  });
  after(async () => {
    await server.close();
  });

  it("serves one self-contained page: no external scripts, styles or fonts", async () => {
    const r = await fetch(`${base}/`);
    assert.equal(r.status, 200);
    assert.match(r.headers.get("content-type") ?? "", /text\/html/);
    const html = await r.text();
    assert.match(html, /new EventSource\("events"\)/);
    assert.match(html, /role="progressbar"/);
    assert.doesNotMatch(html, /(src|href)=["']?(https?:)?\/\//);
    assert.doesNotMatch(html, /@import|url\(/);
  });

  it("GET /state is the timeline's snapshot with the charts", async () => {
    tl.record({ role: "client", index: 0 }, progress({ index: 0, files: 2, of: 5 }), 1);
    const state = await (await fetch(`${base}/state`)).json();
    assert.equal(state.clients.length, 2);
    assert.equal(state.clients[0].files, 2);
    assert.equal(state.filesTotal, 10);
    for (const k of ["links", "caches", "clients"]) assert.match(state.charts[k], /^<svg /);
  });

  it("GET /events sends the state at once, each publish, then the end, and closes", async () => {
    const r = await fetch(`${base}/events`);
    assert.match(r.headers.get("content-type") ?? "", /text\/event-stream/);
    const reading = readEvents(r, 10);
    // Let the stream register before publishing.
    while (board.listeners === 0) await new Promise((res) => setTimeout(res, 5));
    tl.record({ role: "client", index: 1 }, progress({ index: 1, files: 5, of: 5 }), 2);
    board.publish();
    board.end();
    const events = await reading;
    assert.deepEqual(events.map((e) => e.event), ["state", "state", "end"]);
    assert.equal(JSON.parse(events[0]!.data).clients[1].files, 0);
    assert.equal(JSON.parse(events[1]!.data).clients[1].files, 5);
    assert.equal(JSON.parse(events[2]!.data).clients[1].done, true);
    assert.equal(board.listeners, 0);
  });

  it("a page opened after the end gets the final state as an end event", async () => {
    const events = await readEvents(await fetch(`${base}/events`), 5);
    assert.deepEqual(events.map((e) => e.event), ["end"]);
  });

  it("serves each chart as an SVG file, and a JSON 404 for others", async () => {
    const r = await fetch(`${base}/charts/caches.svg`);
    assert.equal(r.status, 200);
    assert.match(r.headers.get("content-type") ?? "", /image\/svg\+xml/);
    assert.match(await r.text(), /Cache occupancy/);
    const nope = await fetch(`${base}/charts/pie.svg`);
    assert.equal(nope.status, 404);
    assert.match((await nope.json()).error, /Cannot draw chart "pie"/);
  });
});
