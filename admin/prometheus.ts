/**
 * `GET /metrics`: a role's stats in the Prometheus text exposition format
 * (version 0.0.4). Every metric name carries its unit (`_bytes`, `_files`,
 * `_seconds`) and counters end in `_total`.
 *
 * @module
 */

import type { Phase, RoleView } from "../core/run/role_view.ts";

/** The `Content-Type` of the exposition format. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

type Stats = Record<string, unknown>;

/** One metric read from a role's stats. */
interface Metric {
  readonly name: string;
  readonly type: "counter" | "gauge";
  readonly help: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly value: (s: Stats) => unknown;
}

const key = (k: string) => (s: Stats) => s[k];
const sent = (link: string, k: string, what: "bytes" | "files"): Metric => ({
  name: `foresight_link_sent_${what}_total`,
  type: "counter",
  help: `${what === "bytes" ? "Bytes" : "Files"} sent over a kind of link.`,
  labels: { link },
  value: key(k),
});
const received = (link: string, k: string, what: "bytes" | "files"): Metric => ({
  name: `foresight_link_received_${what}_total`,
  type: "counter",
  help: `${what === "bytes" ? "Bytes" : "Files"} received over a kind of link.`,
  labels: { link },
  value: key(k),
});
/** Achieved against shaped on a kind of link: seconds shaped and taken (core/links/link_meter.ts). */
const shaping = (link: string, k: string): Metric[] =>
  (["shaped", "taken"] as const).map((which) => ({
    name: `foresight_link_${which}_seconds_total`,
    type: "counter",
    help: which === "shaped"
      ? "Wall seconds the shaped links would have taken for the transfers they finished."
      : "Wall seconds those transfers took (achieved ÷ shaped = shaped ÷ taken).",
    labels: { link },
    value: (s: Stats) => {
      const v = (s[k] as Record<string, unknown> | undefined)?.[`${which}Ms`];
      return typeof v === "number" ? v / 1000 : undefined;
    },
  }));
const metric = (name: string, type: Metric["type"], help: string, k: string): Metric => ({
  name,
  type,
  help,
  value: key(k),
});

/** Each role's metrics, by the stats field they read. */
const METRICS: Record<RoleView["role"], readonly Metric[]> = {
  origin: [
    sent("origin_to_cache", "bytesToCaches", "bytes"),
    sent("origin_to_client", "bytesToClients", "bytes"),
    sent("origin_to_cache", "filesToCaches", "files"),
    sent("origin_to_client", "filesToClients", "files"),
    ...shaping("origin_to_cache", "shapingToCaches"),
    ...shaping("origin_to_client", "shapingToClients"),
    metric(
      "foresight_origin_redirects_total",
      "counter",
      "Direct requests sent back to the cache that had just taken the file's demand.",
      "redirects",
    ),
    ...(["added", "direct", "handed", "outstanding"] as const).map((state): Metric => ({
      name: "foresight_origin_demand_requests",
      type: "gauge",
      help:
        "Requests in the demand ledger: added from lists, served direct, handed to caches, outstanding.",
      labels: { state },
      value: (s) => (s.demand as Record<string, unknown> | undefined)?.[state],
    })),
    {
      ...metric("foresight_origin_peers", "gauge", "Registered peers by role.", "cachesRegistered"),
      labels: { role: "cache" },
    },
    {
      ...metric(
        "foresight_origin_peers",
        "gauge",
        "Registered peers by role.",
        "clientsRegistered",
      ),
      labels: { role: "client" },
    },
    metric("foresight_origin_request_lists", "gauge", "Client request lists received.", "listsIn"),
    {
      ...metric(
        "foresight_origin_clients_done",
        "gauge",
        "Clients that hold every file.",
        "clientsDone",
      ),
      value: (s) => Array.isArray(s.clientsDone) ? s.clientsDone.length : undefined,
    },
  ],
  cache: [
    metric("foresight_cache_capacity_bytes", "gauge", "Capacity of the cache.", "capacityBytes"),
    metric("foresight_cache_used_bytes", "gauge", "Bytes held (reserved) now.", "usedBytes"),
    metric("foresight_cache_peak_bytes", "gauge", "Most bytes held at once.", "peakBytes"),
    metric("foresight_cache_held_files", "gauge", "Files held now.", "filesHeld"),
    metric("foresight_cache_hits_total", "counter", "Requests the policy counted as hits.", "hits"),
    metric(
      "foresight_cache_misses_total",
      "counter",
      "Requests the policy counted as misses.",
      "misses",
    ),
    metric("foresight_cache_evictions_total", "counter", "Files evicted.", "evicted"),
    received("origin_to_cache", "pushedBytes", "bytes"),
    received("origin_to_cache", "pushedFiles", "files"),
    sent("cache_to_client", "bytesToClients", "bytes"),
    ...shaping("cache_to_client", "shapingToClients"),
    metric(
      "foresight_cache_clients_connected",
      "gauge",
      "Client connections open.",
      "clientsConnected",
    ),
    metric(
      "foresight_cache_pages_allocated",
      "gauge",
      "Memory pages the cache allocated.",
      "pagesAllocated",
    ),
  ],
  client: [
    metric(
      "foresight_client_requested_files",
      "gauge",
      "Files in this client's list.",
      "requested",
    ),
    metric("foresight_client_received_files_total", "counter", "Files received whole.", "files"),
    metric(
      "foresight_client_received_bytes_total",
      "counter",
      "Bytes received from every source.",
      "bytes",
    ),
    metric(
      "foresight_client_verified_files_total",
      "counter",
      "Files whose every byte checked out.",
      "verified",
    ),
    metric(
      "foresight_client_corrupt_files_total",
      "counter",
      "Files that failed verification.",
      "corrupt",
    ),
    metric("foresight_client_hits_total", "counter", "Files a cache served as hits.", "hits"),
    metric(
      "foresight_client_misses_total",
      "counter",
      "Requests a cache answered with a miss.",
      "misses",
    ),
    received("origin_to_client", "fromOrigin", "files"),
    metric(
      "foresight_client_sim_seconds",
      "gauge",
      "Simulated seconds since the start.",
      "simSeconds",
    ),
  ],
};

const PROCESS: readonly Metric[] = [
  {
    name: "foresight_process_resident_memory_bytes",
    type: "gauge",
    help: "Resident memory of the role's process.",
    value: (s) => (s.process as Stats | undefined)?.rssBytes,
  },
  {
    name: "foresight_process_uptime_seconds",
    type: "gauge",
    help: "Seconds since the role's process started.",
    value: (s) => (s.process as Stats | undefined)?.uptimeSeconds,
  },
];

const PHASES: readonly Phase[] = [
  "registering",
  "waiting",
  "warming",
  "running",
  "stopping",
  "done",
];

const escape = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');

function labelText(labels: Record<string, string>): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escape(v)}"`);
  return parts.length ? `{${parts.join(",")}}` : "";
}

function numberText(n: number): string {
  return Number.isNaN(n) ? "NaN" : n === Infinity ? "+Inf" : n === -Infinity ? "-Inf" : String(n);
}

/**
 * Renders a role's stats as Prometheus text: a `# HELP` and a `# TYPE` line
 * per metric, then one sample per label set. Samples carry the role's index
 * (`cache="0"`, `client="3"`) when the stats have one; fields missing from the
 * stats are left out. `foresight_phase` is a state set (1 for the phase now).
 *
 * @param role the role whose table of metrics applies
 * @param stats the role's `stats()` (plus `process: { rssBytes, uptimeSeconds }`, if known)
 * @param phase the role's phase now
 * @example
 * ```ts
 * prometheusText("cache", { index: 0, usedBytes: 1024 }, "running");
 * // # HELP foresight_cache_used_bytes Bytes held (reserved) now.
 * // # TYPE foresight_cache_used_bytes gauge
 * // foresight_cache_used_bytes{cache="0"} 1024
 * // ...
 * ```
 */
export function prometheusText(role: RoleView["role"], stats: Stats, phase: Phase): string {
  const own: Record<string, string> = typeof stats.index === "number" && role !== "origin"
    ? { [role]: String(stats.index) }
    : {};
  const families = new Map<string, { type: string; help: string; samples: string[] }>();
  const add = (m: Metric, value: number) => {
    let f = families.get(m.name);
    if (!f) families.set(m.name, f = { type: m.type, help: m.help, samples: [] });
    f.samples.push(`${m.name}${labelText({ ...own, ...m.labels })} ${numberText(value)}`);
  };
  for (const m of [...METRICS[role], ...PROCESS]) {
    const v = m.value(stats);
    if (typeof v === "number") add(m, v);
  }
  for (const p of PHASES) {
    add({
      name: "foresight_phase",
      type: "gauge",
      help: "The role's phase: 1 for the phase it is in, 0 for the others.",
      labels: { role, phase: p },
      value: () => 0,
    }, p === phase ? 1 : 0);
  }
  const lines: string[] = [];
  for (const [name, f] of families) {
    lines.push(`# HELP ${name} ${f.help}`, `# TYPE ${name} ${f.type}`, ...f.samples);
  }
  return lines.join("\n") + "\n";
}
