import { type HeldJob, updateHeldJobIds } from "./fencing.ts";

/**
 * Marks held jobs `completed` in one statement; returns the ids it changed (others were lost).
 * A job claimed ahead whose `running` write was still pending gets its start time here.
 */
export function completeJobs(
  workerId: string,
  jobs: readonly HeldJob[],
): Promise<string[]> {
  return updateHeldJobIds(
    workerId,
    jobs,
    `(j.props - 'lockedUntil')
       || jsonb_build_object('status', 'completed', 'finishedAt', bfdb_iso(now()))
       || CASE WHEN x.started_at IS NOT NULL AND NOT j.props ? 'startedAt'
               THEN jsonb_build_object('startedAt', x.started_at) ELSE '{}'::jsonb END`,
  );
}
