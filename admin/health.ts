/**
 * The body of `GET /health`: liveness and readiness read from a role's phase.
 *
 * @module
 */

import type { Phase, RoleView } from "../core/run/role_view.ts";

/** What `GET /health` answers. */
export interface Health {
  /** Always "ok" while the process answers (liveness). */
  status: "ok";
  role: RoleView["role"];
  phase: Phase;
  /** Past registration: the role knows its place in the run (readiness). */
  registered: boolean;
  /** The run has started (clients fetch files). */
  started: boolean;
  /** The run is ending or over. */
  stopping: boolean;
}

const STARTED: ReadonlySet<Phase> = new Set(["running", "stopping", "done"]);
const STOPPING: ReadonlySet<Phase> = new Set(["stopping", "done"]);

/**
 * A role's health now.
 *
 * @example
 * ```ts
 * healthOf(view); // { status: "ok", role: "cache", phase: "running", registered: true, started: true, stopping: false }
 * ```
 */
export function healthOf(view: RoleView): Health {
  const phase = view.phase();
  return {
    status: "ok",
    role: view.role,
    phase,
    registered: phase !== "registering",
    started: STARTED.has(phase),
    stopping: STOPPING.has(phase),
  };
}
