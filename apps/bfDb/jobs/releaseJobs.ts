import { type HeldJob, updateHeldJobs } from "./fencing.ts";
import type { JobTransition } from "./jobStates.ts";
import { extraBackToWaiting } from "./uniqueJobs.ts";

/** The transitions this file's SQL performs. */
export const performs: readonly JobTransition[] = ["release"];

/**
 * Hands held jobs back to `available` without counting the attempt (graceful shutdown, or a
 * worker that claimed more than it could start); returns the ids it changed.
 */
export function releaseJobs(
  workerId: string,
  jobs: readonly HeldJob[],
): Promise<string[]> {
  return updateHeldJobs(
    workerId,
    jobs,
    `status = 'available', worker_id = NULL, locked_until = NULL, started_at = NULL,
     attempts = GREATEST(j.attempts - 1, 0), extra = ${
      extraBackToWaiting("j")
    }`,
  );
}
