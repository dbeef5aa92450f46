import { type HeldJob, updateHeldJobs } from "./fencing.ts";
import type { JobTransition } from "./jobStates.ts";

/** The transitions this file's SQL performs. */
export const performs: readonly JobTransition[] = ["start"];

/** Marks claimed jobs `running` (the start transition); returns the ids it changed. */
export function startJobs(
  workerId: string,
  jobs: readonly HeldJob[],
): Promise<string[]> {
  return updateHeldJobs(
    workerId,
    jobs,
    `status = 'running', started_at = COALESCE(x.started_at, now())`,
    `j.status = 'claimed'`,
  );
}
