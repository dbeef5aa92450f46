import { bfDb } from "../bfDb.ts";
import { heldBy, type HeldJob, heldJobsJson } from "./fencing.ts";

/**
 * Hands held jobs back to `available` without counting the attempt (graceful shutdown, or a
 * worker that claimed more than it could start); returns the ids it changed.
 */
export async function releaseJobs(
  workerId: string,
  jobs: readonly HeldJob[],
): Promise<string[]> {
  if (jobs.length === 0) return [];
  const rows = await bfDb.query<{ bf_gid: string }>(
    `UPDATE bfdb j SET
       props = (j.props - 'lockedUntil' - 'workerId' - 'startedAt') || jsonb_build_object(
         'status', 'available',
         'attempts', GREATEST((j.props->>'attempts')::int - 1, 0)),
       last_updated = now()
     FROM jsonb_to_recordset($1::text::jsonb) AS x(id text, attempt int)
     WHERE ${heldBy("$2")}
     RETURNING j.bf_gid`,
    [heldJobsJson(jobs), workerId],
  );
  return rows.map((row) => row.bf_gid);
}
