import { bfDb } from "../bfDb.ts";
import { errorHistorySql } from "./failJobs.ts";
import { movedColumns } from "./jobColumns.ts";
import {
  ACTIVE_STATUSES,
  JOB_CANCEL_CHANNEL,
  JOB_CHANNEL,
  type JobTransition,
} from "./jobStates.ts";
import { extraBackToWaiting } from "./uniqueJobs.ts";

/** The transitions this file's SQL performs. */
export const performs: readonly JobTransition[] = [
  "operatorRetry",
  "cancelWaiting",
  "cancelInFlight",
];

/** Which failed jobs an operator retry applies to. */
export type RetrySelection = { id: string } | {
  allFailed: true;
  type?: string;
};

/**
 * Puts failed jobs back to `available` (moved from `bfdb_jobs_failed` to `bfdb_jobs_active`)
 * with a fresh set of attempts, runnable now; returns their ids. Retrying all failed jobs
 * leaves cancelled ones alone; by id retries a cancelled one too. A job of unique scope
 * `active` whose key another job holds now stays failed (the key is that job's); one of scope
 * `waiting` comes back without its key, like any job returning from flight.
 */
export async function retryFailedJobs(
  selection: RetrySelection,
): Promise<string[]> {
  const byId = "id" in selection;
  const rows = await bfDb.query<{ bf_gid: string }>(
    `WITH doomed AS MATERIALIZED (
       SELECT f.bf_gid FROM bfdb_jobs_failed f
       WHERE (($1::text IS NOT NULL AND f.bf_gid = $1::text
               AND f.status IN ('failed', 'cancelled'))
          OR ($1::text IS NULL AND f.status = 'failed'
              AND ($2::text IS NULL OR f.type = $2::text)))
         AND NOT (f.extra ? 'activeKey' AND EXISTS (
           SELECT 1 FROM bfdb_jobs_active a
           WHERE a.bf_oid = f.bf_oid AND a.type = f.type
             AND a.extra->>'activeKey' = f.extra->>'activeKey' AND a.extra ? 'activeKey'))
       ORDER BY f.bf_gid
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
        extra: extraBackToWaiting("m"),
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

/** Which waiting or in-flight jobs a cancellation applies to. */
export type CancelSelection =
  | { id: string; orgId?: string }
  | {
    type: string;
    /** Only jobs in these statuses; default all of `available`, `claimed`, `running`. */
    statuses?: readonly ("available" | "claimed" | "running")[];
    orgId?: string;
  };

/** One job a cancellation ended. */
export interface CancelledJob {
  id: string;
  type: string;
  /** Its status when cancelled. */
  was: "available" | "claimed" | "running";
  /** The worker that held it, told to abort its handler; null when it was waiting. */
  workerId: string | null;
}

/**
 * Cancels waiting and in-flight jobs in one statement: each is moved to `bfdb_jobs_failed` as
 * `cancelled` with the reason, so it is never claimed or retried, and a worker that still runs
 * it finds its settle refused (the row it held is gone). Every worker that held one is told on
 * {@linkcode JOB_CANCEL_CHANNEL} (at commit), so it aborts the handler's signal. Finished jobs
 * are left alone. Rows are locked in `bf_gid` order, like every multi-row job statement.
 */
export async function cancelJobs(
  selection: CancelSelection,
  reason = "cancelled by operator",
): Promise<CancelledJob[]> {
  const byId = "id" in selection;
  const statuses = byId
    ? [...ACTIVE_STATUSES]
    : [...(selection.statuses ?? ACTIVE_STATUSES)];
  const note = errorHistorySql(
    "m.errors",
    "m.attempts",
    "$5::text",
    "true",
    ", 'cancelled', true",
  );
  const rows = await bfDb.query<CancelledJob>(
    `WITH doomed AS MATERIALIZED (
       SELECT bf_gid, status AS was FROM bfdb_jobs_active
       WHERE (($1::text IS NOT NULL AND bf_gid = $1::text)
              OR ($1::text IS NULL AND type = $2::text))
         AND status = ANY($3::text[])
         AND ($4::text IS NULL OR bf_oid = $4::text)
       ORDER BY bf_gid
       FOR UPDATE
     ), gone AS (
       DELETE FROM bfdb_jobs_active j USING doomed d WHERE j.bf_gid = d.bf_gid
       RETURNING j.*, d.was
     ), moved AS (
       INSERT INTO bfdb_jobs_failed
       SELECT ${
      movedColumns({
        status: "'cancelled'",
        locked_until: "NULL",
        error: "$5::text",
        errors: `CASE WHEN m.was = 'available' THEN m.errors ELSE ${note} END`,
        cancelled_at: "now()",
        finished_at: "now()",
        last_updated: "now()",
      })
    }
       FROM gone m
       RETURNING bf_gid
     ), notified AS (
       SELECT pg_notify($6, holder) FROM (
         SELECT DISTINCT worker_id AS holder FROM gone
         WHERE worker_id IS NOT NULL AND was <> 'available'
       ) h
     )
     SELECT g.bf_gid AS id, g.type, g.was,
            CASE WHEN g.was = 'available' THEN NULL ELSE g.worker_id END AS "workerId",
            (SELECT count(*) FROM moved) + (SELECT count(*) FROM notified) AS written
     FROM gone g
     ORDER BY g.bf_gid`,
    [
      byId ? selection.id : null,
      byId ? null : selection.type,
      statuses,
      selection.orgId ?? null,
      reason,
      JOB_CANCEL_CHANNEL,
    ],
  );
  // Plain objects: callers get no driver-specific result type.
  return rows.map(({ id, type, was, workerId }) => ({
    id,
    type,
    was,
    workerId,
  }));
}

/** Which of `ids` are cancelled now, with the reason given: how a worker learns why it lost a job. */
export async function cancelledJobIds(
  ids: readonly string[],
): Promise<{ id: string; reason: string }[]> {
  if (ids.length === 0) return [];
  const rows = await bfDb.query<{ id: string; reason: string | null }>(
    `SELECT bf_gid AS id, error AS reason FROM bfdb_jobs_failed
     WHERE bf_gid = ANY($1::text[]) AND status = 'cancelled'`,
    [[...ids]],
  );
  return rows.map(({ id, reason }) => ({ id, reason: reason ?? "cancelled" }));
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
