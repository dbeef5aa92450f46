import { bfDb } from "../bfDb.ts";
import { heldBy, type HeldJob, heldJobsJson } from "./fencing.ts";

/** Marks claimed jobs `running` (the start transition); returns the ids it changed. */
export async function startJobs(
  workerId: string,
  jobs: readonly HeldJob[],
): Promise<string[]> {
  if (jobs.length === 0) return [];
  const rows = await bfDb.query<{ bf_gid: string }>(
    `UPDATE bfdb j SET
       props = j.props || jsonb_build_object(
         'status', 'running', 'startedAt', COALESCE(x.started_at, bfdb_iso(now()))),
       last_updated = now()
     FROM jsonb_to_recordset($1::text::jsonb) AS x(id text, attempt int, started_at text)
     WHERE ${heldBy("$2")} AND j.props->>'status' = 'claimed'
     RETURNING j.bf_gid`,
    [heldJobsJson(jobs), workerId],
  );
  return rows.map((row) => row.bf_gid);
}
