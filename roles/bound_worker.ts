/**
 * The worker thread of roles/bound_thread.ts: computes the lower bound of the
 * scenario (and the lists and sizes, if any) it is given as `workerData` and
 * posts it back with the seconds it took. Not an entry point of its own.
 *
 * @module
 */

import { parentPort, workerData } from "node:worker_threads";
import type { Scenario } from "../core/run/scenario.ts";
import { exactScenarioBound } from "../sim/highs_solver.ts";
import type { BoundWorkload } from "./bound_thread.ts";

const t0 = performance.now();
const { scenario, lists, sizes } = workerData as BoundWorkload & { scenario: Scenario };
const size = sizes ? (file: number) => sizes[file - 1]! : undefined;
const bound = await exactScenarioBound(scenario, lists, size);
parentPort?.postMessage({ bound, computeSeconds: (performance.now() - t0) / 1000 });
