/**
 * The lower bound of a `foresight run`: computed once in a worker thread from
 * the clients' start on (never before the roles are up, never blocking the
 * run's events), shown on the dashboard once known, and added to the report
 * at the end.
 *
 * @module
 */

import type { Logger } from "../core/run/log.ts";
import type { Scenario } from "../core/run/scenario.ts";
import type { DashboardBound } from "../admin/dashboard_app.ts";
import {
  boundInWorker,
  type BoundJob,
  type BoundWorkload,
  type TimedBound,
} from "./bound_thread.ts";
import type { RunReport } from "../report/run_report.ts";
import { reportBound } from "../report/report_bound.ts";
import { dashboardBound } from "./run_dashboard.ts";

/**
 * The lower bound of one run, from {@link RunLowerBound.start} to
 * {@link RunLowerBound.stop}.
 *
 * @example
 * ```ts
 * const bound = new RunLowerBound(scenario, log);
 * bound.start(); // at the origin's `start` event
 * await bound.addTo(report, signal);
 * bound.stop();
 * ```
 */
export class RunLowerBound {
  readonly #scenario: Scenario;
  readonly #workload: BoundWorkload;
  readonly #log: Logger;
  #job: BoundJob | undefined;
  #known: TimedBound | undefined;
  #shown: DashboardBound | null = null;
  /** Past the report: a bound still being computed is given up on, silently. */
  #over = false;

  /**
   * @param scenario the run's scenario
   * @param log where the bound (info) and a failure to compute it (warn) are logged
   * @param workload the clients' lists and the files' sizes when they are not the scenario's own
   */
  constructor(scenario: Scenario, log: Logger, workload: BoundWorkload = {}) {
    this.#scenario = scenario;
    this.#workload = workload;
    this.#log = log;
  }

  /** The bound as the dashboard shows it; null until it is known. */
  get shown(): DashboardBound | null {
    return this.#shown;
  }

  /** Starts computing the bound in a worker thread (the worker starts once), and logs it when known. */
  start(): void {
    this.#job ??= boundInWorker(this.#scenario, this.#workload);
    this.#job.result.then((b) => {
      this.#known = b;
      this.#shown = dashboardBound(b.bound, this.#scenario.clients);
      this.#log.log("info", "lower bound", {
        seconds: b.bound.seconds,
        exact: b.bound.exact,
        computeMs: Math.round(b.computeSeconds * 1000),
      });
    }, (e) => this.#over || this.#log.log("warn", (e as Error).message));
  }

  /**
   * Adds the bound to the report and to what the dashboard shows. A run that
   * went to its end waits for its bound (a signal meanwhile gives up on it);
   * an interrupted one takes it only if it is known already.
   *
   * @param report the run's report (its `lowerBound` is set when the bound is known)
   * @param signal resolves when the user sends SIGINT or SIGTERM
   */
  async addTo(report: RunReport, signal: Promise<void>): Promise<void> {
    const job = this.#job;
    const timed = this.#known ??
      (job && report.interrupted === undefined
        ? await Promise.race([job.result.catch(() => undefined), signal.then(() => undefined)])
        : undefined);
    if (timed) {
      report.lowerBound = reportBound(report, timed.bound, timed.computeSeconds);
      this.#shown = dashboardBound(report.lowerBound, this.#scenario.clients, report.simSeconds);
    }
  }

  /** Gives up on a bound still being computed: its worker ends, its failure is not logged. */
  stop(): void {
    this.#over = true;
    this.#job?.stop();
  }
}
