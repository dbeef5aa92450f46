import { bfDb } from "../bfDb.ts";
import { heldInput, type HeldJob } from "./fencing.ts";
import { movedColumns } from "./jobColumns.ts";
import type { JobTransition } from "./jobStates.ts";

/** The transitions this file's SQL performs. */
export const performs: readonly JobTransition[] = ["complete"];

/** A held job that succeeded, with what its handler returned (JSON text), if anything. */
export interface CompletedJob extends HeldJob {
  resultJson?: string;
}

/**
 * Marks held jobs `completed` in one statement, moving each from `bfdb_jobs_active` to the day
 * partition of `bfdb_jobs_completed`; returns the ids it changed (others were lost). A job
 * claimed ahead whose `running` write was still pending gets its start time here; a handler's
 * return value is stored as `props.result`.
 */
export async function completeJobs(
  workerId: string,
  jobs: readonly CompletedJob[],
): Promise<string[]> {
  if (jobs.length === 0) return [];
  const input = heldInput(workerId, jobs, [{
    name: "result",
    type: "text",
    values: jobs.map((j) => j.resultJson ?? null),
  }]);
  const rows = await bfDb.query<{ bf_gid: string }>(
    `WITH ${input.cte}, done AS (
       DELETE FROM bfdb_jobs_active j USING x
       WHERE ${input.held}
       RETURNING j.*, x.started_at AS given_start, x.result AS given_result
     )
     INSERT INTO bfdb_jobs_completed
     SELECT ${
      movedColumns({
        status: "'completed'",
        locked_until: "NULL",
        started_at: "COALESCE(m.started_at, m.given_start)",
        finished_at: "now()",
        extra: `CASE WHEN m.given_result IS NULL THEN m.extra
          ELSE COALESCE(m.extra, '{}'::jsonb)
            || jsonb_build_object('result', m.given_result::jsonb) END`,
        last_updated: "now()",
      })
    }
     FROM done m
     RETURNING bf_gid`,
    input.params,
  );
  return rows.map((row) => row.bf_gid);
}
