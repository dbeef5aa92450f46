import { bfDb } from "../bfDb.ts";
import { heldBy, type HeldJob, heldJobsJson } from "./fencing.ts";

/** Marks held jobs `completed` in one statement; returns the ids it changed (others were lost). */
export async function completeJobs(
  workerId: string,
  jobs: readonly HeldJob[],
): Promise<string[]> {
  if (jobs.length === 0) return [];
  const rows = await bfDb.query<{ bf_gid: string }>(
    `UPDATE bfdb j SET
       props = (j.props - 'lockedUntil')
         || jsonb_build_object('status', 'completed', 'finishedAt', bfdb_iso(now()))
         || CASE WHEN x.started_at IS NOT NULL AND NOT j.props ? 'startedAt'
                 THEN jsonb_build_object('startedAt', x.started_at) ELSE '{}'::jsonb END,
       last_updated = now()
     FROM jsonb_to_recordset($1::text::jsonb) AS x(id text, attempt int, started_at text)
     WHERE ${heldBy("$2")}
     RETURNING j.bf_gid`,
    [heldJobsJson(jobs), workerId],
  );
  return rows.map((row) => row.bf_gid);
}
