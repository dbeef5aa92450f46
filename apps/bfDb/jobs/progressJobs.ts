import { type HeldJob, updateHeldJobs } from "./fencing.ts";
import type { JobTransition } from "./jobStates.ts";

/** The transitions this file's SQL performs: none (it writes a running job's progress in place). */
export const performs: readonly JobTransition[] = [];

/** A held job's latest progress, as JSON text. */
export interface JobProgress extends HeldJob {
  progressJson: string;
}

/**
 * Stores each job's progress value as `props.progress` (in `extra`), fenced like every settle:
 * a worker that lost the job writes nothing. Returns the ids it changed.
 */
export function recordJobProgress(
  workerId: string,
  jobs: readonly JobProgress[],
): Promise<string[]> {
  return updateHeldJobs(
    workerId,
    jobs,
    `extra = COALESCE(j.extra, '{}'::jsonb)
       || jsonb_build_object('progress', x.progress::jsonb)`,
    "TRUE",
    [{
      name: "progress",
      type: "text",
      values: jobs.map((j) => j.progressJson),
    }],
  );
}
