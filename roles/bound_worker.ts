/**
 * The worker thread of roles/bound_thread.ts: computes the lower bound of the
 * scenario it is given as `workerData` and posts it back with the seconds it
 * took. Not an entry point of its own.
 *
 * @module
 */

import { parentPort, workerData } from "node:worker_threads";
import type { Scenario } from "../core/scenario.ts";
import { exactScenarioBound } from "../sim/highs_solver.ts";

const t0 = performance.now();
const bound = await exactScenarioBound(workerData as Scenario);
parentPort?.postMessage({ bound, computeSeconds: (performance.now() - t0) / 1000 });
