/**
 * The dashboard's one page: HTML, CSS and a small script, no external
 * resources. The script listens to `/events` (server-sent events) and draws
 * each state: a progress bar per client, the run's figures (with the lower
 * bound and, at the end, the makespan's ratio to it), and the charts the
 * server renders as SVG.
 *
 * @module
 */

/** Clients drawn as bars; past this many, the rest are summed up in one line. */
export const MAX_CLIENT_BARS = 64;

/**
 * The page, self-contained.
 *
 * @example
 * ```ts
 * app.get("/", (c) => c.html(DASHBOARD_HTML));
 * ```
 */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Foresight — live run</title>
<style>
  :root { --fg: #1f2328; --muted: #57606a; --line: #d0d7de; --bg: #f6f8fa; --card: #fff;
          --bar: #0072b2; --done: #009e73; --warn: #d55e00; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
         color: var(--fg); background: var(--bg); }
  main { max-width: 1280px; margin: 0 auto; padding: 20px 24px 32px; }
  header { display: flex; align-items: baseline; gap: 16px; flex-wrap: wrap; }
  h1 { font-size: 22px; margin: 0; }
  h2 { font-size: 15px; margin: 0 0 10px; }
  .muted { color: var(--muted); }
  .badge { display: inline-block; padding: 2px 10px; border-radius: 999px; font-weight: 600;
           font-size: 12px; text-transform: uppercase; letter-spacing: .04em; background: #ddf4ff; color: #0550ae; }
  .badge.done { background: #dafbe1; color: #116329; }
  .badge.failed { background: #ffebe9; color: #a40e26; }
  .tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(180px, 1fr)); gap: 12px; margin: 16px 0; }
  .tile, .card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; }
  .tile { padding: 10px 14px; }
  .tile .k { color: var(--muted); font-size: 12px; }
  .tile .v { font-size: 20px; font-weight: 600; font-variant-numeric: tabular-nums; white-space: nowrap; }
  .tile .s { color: var(--muted); font-size: 12px; font-variant-numeric: tabular-nums; }
  .card { padding: 14px 16px; margin-bottom: 16px; }
  .grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(560px, 1fr)); gap: 16px; }
  .grid > .card { margin-bottom: 0; }
  .clients { display: grid; gap: 10px; }
  .client { display: grid; grid-template-columns: 64px 1fr 250px; align-items: center; gap: 10px; }
  .track { height: 14px; background: #eaeef2; border-radius: 7px; overflow: hidden; }
  .fill { height: 100%; width: 0; background: var(--bar); border-radius: 7px; transition: width .25s linear; }
  .client.done .fill { background: var(--done); }
  .client .txt { font-variant-numeric: tabular-nums; color: var(--muted); font-size: 13px; white-space: nowrap; }
  .chart { padding: 8px; }
  .chart svg { width: 100%; height: auto; display: block; }
  footer { margin-top: 16px; font-size: 12px; }
</style>
</head>
<body>
<main>
  <header>
    <h1>Foresight — live run</h1>
    <span id="phase" class="badge">connecting</span>
    <span id="scenario" class="muted"></span>
  </header>
  <section class="tiles" aria-label="figures">
    <div class="tile"><div class="k">files received</div><div class="v" id="files">–</div><div class="s" id="files-s"></div></div>
    <div class="tile"><div class="k">hit ratio</div><div class="v" id="hits">–</div><div class="s">cache hits ÷ files received</div></div>
    <div class="tile"><div class="k">simulated time</div><div class="v" id="sim">–</div><div class="s" id="sim-s"></div></div>
    <div class="tile"><div class="k">lower bound</div><div class="v" id="bound">–</div><div class="s" id="bound-s">computed once the clients start</div></div>
    <div class="tile"><div class="k">makespan ÷ bound</div><div class="v" id="ratio">–</div><div class="s" id="ratio-s">when the run is over</div></div>
    <div class="tile"><div class="k">origin → cache</div><div class="v" id="rate-originToCache">–</div><div class="s" id="bytes-originToCache"></div></div>
    <div class="tile"><div class="k">origin → client</div><div class="v" id="rate-originToClient">–</div><div class="s" id="bytes-originToClient"></div></div>
    <div class="tile"><div class="k">cache → client</div><div class="v" id="rate-cacheToClient">–</div><div class="s" id="bytes-cacheToClient"></div></div>
  </section>
  <section class="grid">
    <div class="card" aria-label="clients">
      <h2>Clients</h2>
      <div id="clients" class="clients"></div>
      <div id="more" class="muted"></div>
    </div>
    <div class="card chart" id="chart-clients"></div>
    <div class="card chart" id="chart-links"></div>
    <div class="card chart" id="chart-caches"></div>
  </section>
  <footer class="muted" id="footer">Rates are per simulated second. Updated live (server-sent events).</footer>
</main>
<script>
"use strict";
var MAX_BARS = ${MAX_CLIENT_BARS};
function $(id) { return document.getElementById(id); }
function bytes(n) {
  var u = ["B", "KiB", "MiB", "GiB", "TiB"], i = 0;
  while (Math.abs(n) >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return (i === 0 ? Math.round(n) : n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2)) + " " + u[i];
}
function pct(x) { return (100 * x).toFixed(1) + " %"; }
function row(c) {
  var el = document.createElement("div");
  el.className = "client";
  el.innerHTML = '<span class="name"></span><div class="track" role="progressbar" aria-valuemin="0" aria-valuemax="100">' +
    '<div class="fill"></div></div><span class="txt"></span>';
  el.querySelector(".name").textContent = "client " + c.index;
  el.querySelector(".track").setAttribute("data-client", String(c.index));
  return el;
}
var rows = [];
function draw(s) {
  var sc = s.scenario;
  $("phase").textContent = s.phase;
  $("phase").className = "badge" + (s.phase === "done" ? " done" : s.phase === "failed" ? " failed" : "");
  $("scenario").textContent = "policy " + sc.policy + " · seed " + sc.seed + " · scale ×" + sc.scale + " · " +
    sc.files + " files · " + sc.caches + " caches of " + bytes(sc.capacityKiB * 1024) + " · " + sc.clients + " clients × " + sc.requests + " requests";
  $("files").textContent = s.filesDone + " / " + s.filesTotal;
  $("files-s").textContent = pct(s.filesTotal ? s.filesDone / s.filesTotal : 0) + " of all requests";
  $("hits").textContent = pct(s.hitRatio);
  $("sim").textContent = s.simSeconds.toFixed(1) + " s";
  $("sim-s").textContent = s.started ? "since the clients started; " + s.wallSeconds.toFixed(1) + " s wall since launch"
    : "not started; " + s.wallSeconds.toFixed(1) + " s wall since launch";
  var b = s.bound, over = s.phase === "done" || s.phase === "failed";
  $("bound").textContent = b ? b.seconds.toFixed(1) + " s" : "–";
  $("bound-s").textContent = b ? b.method : over ? "not known: the run ended before it was computed"
    : "computed once the clients start";
  $("ratio").textContent = b && b.ratio !== null ? b.ratio.toFixed(3) : "–";
  $("ratio-s").textContent = b && b.ratio !== null
    ? "makespan " + (typeof b.makespan === "number" ? b.makespan.toFixed(1) + " s " : "") + "÷ lower bound"
    : b && b.note ? b.note : over ? "not known" : "when the run is over";
  ["originToCache", "originToClient", "cacheToClient"].forEach(function (k) {
    $("rate-" + k).textContent = bytes(s.links[k].rate) + "/s";
    var a = s.achieved && s.achieved[k];
    $("bytes-" + k).textContent = bytes(s.links[k].bytes) + " so far" +
      (a && a.transfers ? " · " + pct(a.achieved) + " of its shaped rate" : "");
  });
  var shown = s.clients.slice(0, MAX_BARS), box = $("clients");
  while (rows.length < shown.length) { var r = row(shown[rows.length]); rows.push(r); box.appendChild(r); }
  shown.forEach(function (c, i) {
    var p = c.of ? Math.min(100, 100 * c.files / c.of) : 0, el = rows[i];
    el.className = "client" + (c.done ? " done" : "");
    el.querySelector(".fill").style.width = p.toFixed(1) + "%";
    el.querySelector(".track").setAttribute("aria-valuenow", p.toFixed(1));
    el.querySelector(".txt").textContent = c.files + " / " + c.of + " files · " + bytes(c.bytes) + " · " + c.hits + " hits";
  });
  var rest = s.clients.slice(MAX_BARS);
  $("more").textContent = rest.length ? "and " + rest.length + " more clients: " +
    rest.filter(function (c) { return c.done; }).length + " done" : "";
  $("chart-links").innerHTML = s.charts.links;
  $("chart-caches").innerHTML = s.charts.caches;
  $("chart-clients").innerHTML = s.charts.clients;
}
var events = new EventSource("events");
events.addEventListener("state", function (e) { draw(JSON.parse(e.data)); });
events.addEventListener("end", function (e) {
  draw(JSON.parse(e.data));
  events.close();
  $("footer").textContent = "The run is over; this page shows its final state.";
});
events.onerror = function () {
  if (events.readyState === 2) return;
  $("footer").textContent = "Connection lost; retrying…";
};
</script>
</body>
</html>
`;
