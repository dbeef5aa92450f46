import { type HeldJob, updateHeldJobIds } from "./fencing.ts";

/** Marks claimed jobs `running` (the start transition); returns the ids it changed. */
export function startJobs(
  workerId: string,
  jobs: readonly HeldJob[],
): Promise<string[]> {
  return updateHeldJobIds(
    workerId,
    jobs,
    `j.props || jsonb_build_object(
       'status', 'running', 'startedAt', COALESCE(x.started_at, bfdb_iso(now())))`,
    `j.props->>'status' = 'claimed'`,
  );
}
