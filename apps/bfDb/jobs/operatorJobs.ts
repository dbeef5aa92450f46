import { bfDb } from "../bfDb.ts";
import { movedColumns } from "./jobColumns.ts";
import { JOB_CHANNEL, type JobTransition } from "./jobStates.ts";

/** The transitions this file's SQL performs. */
export const performs: readonly JobTransition[] = ["operatorRetry", "cancel"];

/** Which failed jobs an operator retry applies to. */
export type RetrySelection = { id: string } | {
  allFailed: true;
  type?: string;
};

/**
 * Puts failed jobs back to `available` (moved from `bfdb_jobs_failed` to `bfdb_jobs_active`)
 * with a fresh set of attempts, runnable now; returns their ids. Retrying all failed jobs
 * leaves cancelled ones alone; by id retries a cancelled one too.
 */
export async function retryFailedJobs(
  selection: RetrySelection,
): Promise<string[]> {
  const byId = "id" in selection;
  const rows = await bfDb.query<{ bf_gid: string }>(
    `WITH doomed AS MATERIALIZED (
       SELECT bf_gid FROM bfdb_jobs_failed
       WHERE ($1::text IS NOT NULL AND bf_gid = $1::text AND status IN ('failed', 'cancelled'))
          OR ($1::text IS NULL AND status = 'failed'
              AND ($2::text IS NULL OR type = $2::text))
       ORDER BY bf_gid
       FOR UPDATE
     ), gone AS (
       DELETE FROM bfdb_jobs_failed f USING doomed d WHERE f.bf_gid = d.bf_gid RETURNING f.*
     ), retried AS (
       INSERT INTO bfdb_jobs_active
       SELECT ${
      movedColumns({
        status: "'available'",
        attempts: "0",
        worker_id: "NULL",
        locked_until: "NULL",
        started_at: "NULL",
        finished_at: "NULL",
        cancelled_at: "NULL",
        run_at: "now()",
        last_updated: "now()",
      })
    }
       FROM gone m
       RETURNING bf_gid
     )
     SELECT bf_gid FROM retried`,
    [byId ? selection.id : null, byId ? null : (selection.type ?? null)],
  );
  // An empty payload wakes every worker: the retried jobs may be of any type.
  if (rows.length > 0) {
    await bfDb.query("SELECT pg_notify($1, '')", [JOB_CHANNEL]);
  }
  return rows.map((row) => row.bf_gid);
}

/**
 * Cancels an available job: it is moved to `bfdb_jobs_failed` as `cancelled`, with the reason,
 * and never claimed. Returns whether it was available.
 */
export async function cancelJob(
  id: string,
  reason = "cancelled by operator",
): Promise<boolean> {
  const rows = await bfDb.query(
    `WITH gone AS (
       DELETE FROM bfdb_jobs_active WHERE bf_gid = $1 AND status = 'available' RETURNING *
     )
     INSERT INTO bfdb_jobs_failed
     SELECT ${
      movedColumns({
        status: "'cancelled'",
        error: "$2::text",
        cancelled_at: "now()",
        finished_at: "now()",
        last_updated: "now()",
      })
    }
     FROM gone m
     RETURNING bf_gid`,
    [id, reason],
  );
  return rows.length === 1;
}

/** Deletes one finished (completed, failed or cancelled) job of `orgId`; false when it is not finished. */
export async function deleteFinishedJob(
  id: string,
  orgId: string,
): Promise<boolean> {
  const [row] = await bfDb.query<{ n: number }>(
    `WITH c AS (DELETE FROM bfdb_jobs_completed WHERE bf_gid = $1 AND bf_oid = $2 RETURNING 1),
          f AS (DELETE FROM bfdb_jobs_failed WHERE bf_gid = $1 AND bf_oid = $2 RETURNING 1)
     SELECT (SELECT count(*) FROM c) + (SELECT count(*) FROM f) AS n`,
    [id, orgId],
  );
  return Number(row.n) > 0;
}
