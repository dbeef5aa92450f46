import { bfDb } from "../bfDb.ts";
import { heldInput, type HeldJob } from "./fencing.ts";
import { movedColumns } from "./jobColumns.ts";
import type { JobTransition } from "./jobStates.ts";

/** The transitions this file's SQL performs. */
export const performs: readonly JobTransition[] = ["complete"];

/**
 * Marks held jobs `completed` in one statement, moving each from `bfdb_jobs_active` to the day
 * partition of `bfdb_jobs_completed`; returns the ids it changed (others were lost). A job
 * claimed ahead whose `running` write was still pending gets its start time here.
 */
export async function completeJobs(
  workerId: string,
  jobs: readonly HeldJob[],
): Promise<string[]> {
  if (jobs.length === 0) return [];
  const input = heldInput(workerId, jobs);
  const rows = await bfDb.query<{ bf_gid: string }>(
    `WITH ${input.cte}, done AS (
       DELETE FROM bfdb_jobs_active j USING x
       WHERE ${input.held}
       RETURNING j.*, x.started_at AS given_start
     )
     INSERT INTO bfdb_jobs_completed
     SELECT ${
      movedColumns({
        status: "'completed'",
        locked_until: "NULL",
        started_at: "COALESCE(m.started_at, m.given_start)",
        finished_at: "now()",
        last_updated: "now()",
      })
    }
     FROM done m
     RETURNING bf_gid`,
    input.params,
  );
  return rows.map((row) => row.bf_gid);
}
