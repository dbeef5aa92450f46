import { type HeldJob, updateHeldJobIds } from "./fencing.ts";

/**
 * Hands held jobs back to `available` without counting the attempt (graceful shutdown, or a
 * worker that claimed more than it could start); returns the ids it changed.
 */
export function releaseJobs(
  workerId: string,
  jobs: readonly HeldJob[],
): Promise<string[]> {
  return updateHeldJobIds(
    workerId,
    jobs,
    `(j.props - 'lockedUntil' - 'workerId' - 'startedAt') || jsonb_build_object(
       'status', 'available',
       'attempts', GREATEST((j.props->>'attempts')::int - 1, 0))`,
  );
}
