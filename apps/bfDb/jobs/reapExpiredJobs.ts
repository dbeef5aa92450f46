import { bfDb } from "../bfDb.ts";
import { retryDelaySql } from "./backoff.ts";
import { DEAD_LETTER_COLUMNS, errorHistorySql } from "./failJobs.ts";
import type { JobTransition } from "./jobStates.ts";
import { extraBackToWaiting } from "./uniqueJobs.ts";

/** The transitions this file's SQL performs. */
export const performs: readonly JobTransition[] = [
  "reapUnstarted",
  "reapToRetry",
  "reapToDeadLetter",
];

/** What the reaper did to one job whose lease had expired. */
export interface ReapOutcome {
  id: string;
  type: string;
  status: "available" | "failed";
  workerId: string;
  /**
   * Whether the lost attempt counts. It does not for a job whose start was never written (its
   * worker held it ahead, or died within moments of starting it): the attempt is refunded, with
   * no backoff, and a note in its error history. After {@linkcode MAX_UNCHARGED_RETURNS} such
   * notes it counts like any other, so a job that kills its worker every time still ends failed.
   */
  charged: boolean;
}

/**
 * How many times a job may come back uncharged from dead workers. Workers write a job's start
 * lazily (within 250 ms) so that short jobs need no extra write, so "not started" in the table
 * means "held ahead, or started moments before the crash"; this bound is what keeps the second
 * case from retrying a job that crashes its worker forever.
 */
export const MAX_UNCHARGED_RETURNS = 3;

const HISTORY = errorHistorySql("j.errors", "j.attempts", "r.reason", "false");
const UNCHARGED_NOTE = errorHistorySql(
  "j.errors",
  "j.attempts",
  "r.reason || ' before its start was written; not counted'",
  "false",
  ", 'uncharged', true",
);

/**
 * The reap statement; $1 is the most jobs to reap, $2 ids to leave alone (null: none): the
 * reaping worker's own finished jobs whose settle is still being written. A job with attempts
 * left goes back to `available` after the same backoff a failed attempt gets; one without is
 * dead-lettered to `bfdb_jobs_failed`. A job still `claimed` goes back uncharged at once, up to
 * MAX_UNCHARGED_RETURNS times (see `ReapOutcome.charged`).
 */
export const REAP_EXPIRED_SQL = `WITH expired AS MATERIALIZED (
       SELECT ctid AS tid FROM bfdb_jobs_active
       WHERE status IN ('claimed', 'running')
         AND locked_until < now()
         AND ($2::text[] IS NULL OR NOT bf_gid = ANY($2::text[]))
       ORDER BY bf_gid
       LIMIT $1
       FOR UPDATE SKIP LOCKED
     ), reaped AS MATERIALIZED (
       SELECT j.ctid AS tid, j.bf_gid,
              'lease expired: worker ' || COALESCE(j.worker_id, '?')
                || ' stopped renewing it during attempt ' || j.attempts AS reason,
              j.worker_id, j.type, c.charged,
              c.charged AND j.attempts >= j.max_attempts AS exhausted
       FROM bfdb_jobs_active j JOIN expired e ON j.ctid = e.tid
       CROSS JOIN LATERAL (
         SELECT j.status = 'running' OR (
           SELECT count(*) FROM jsonb_array_elements(
             CASE WHEN jsonb_typeof(j.errors) = 'array' THEN j.errors ELSE '[]'::jsonb END
           ) note WHERE note->>'uncharged' = 'true'
         ) >= ${MAX_UNCHARGED_RETURNS} AS charged
       ) c
       -- Locked here, so the tuple ids hold still: fetched directly (see the claim).
       WHERE j.ctid = ANY(ARRAY(SELECT tid FROM expired))
     ), retried AS (
       UPDATE bfdb_jobs_active j SET
         status = 'available', worker_id = NULL, locked_until = NULL, started_at = NULL,
         attempts = CASE WHEN r.charged THEN j.attempts ELSE GREATEST(j.attempts - 1, 0) END,
         error = CASE WHEN r.charged THEN r.reason ELSE j.error END,
         errors = CASE WHEN r.charged THEN ${HISTORY} ELSE ${UNCHARGED_NOTE} END,
         extra = ${extraBackToWaiting("j")},
         run_at = CASE WHEN r.charged THEN now() + ${
  retryDelaySql("j.attempts")
} * interval '1 millisecond' ELSE j.run_at END,
         last_updated = now()
       FROM reaped r
       WHERE j.ctid = r.tid AND NOT r.exhausted
         AND j.ctid = ANY(ARRAY(SELECT tid FROM reaped))
       RETURNING j.bf_gid
     ), gone AS (
       DELETE FROM bfdb_jobs_active j USING reaped r
       WHERE j.ctid = r.tid AND r.exhausted
         AND j.ctid = ANY(ARRAY(SELECT tid FROM reaped))
       RETURNING j.*, r.reason AS new_error, ${HISTORY} AS new_errors
     ), failed AS (
       INSERT INTO bfdb_jobs_failed
       SELECT ${DEAD_LETTER_COLUMNS}
       FROM gone m
       RETURNING bf_gid
     )
     SELECT r.bf_gid AS id, r.type, 'available' AS status, r.worker_id AS "workerId",
            r.charged
     FROM reaped r JOIN retried USING (bf_gid)
     UNION ALL
     SELECT r.bf_gid AS id, r.type, 'failed' AS status, r.worker_id AS "workerId",
            r.charged
     FROM reaped r JOIN failed USING (bf_gid)`;

/**
 * Returns running jobs whose lease has passed (their worker died or hung) to `available` after
 * a backoff, or to `failed` when no attempts are left, recording why; claimed jobs whose start
 * was never written go back to `available` at once with their attempt refunded (a bounded
 * number of times, see `ReapOutcome.charged`). Safe
 * to run from every worker at once: rows another reaper holds are skipped. `exceptIds` are left
 * alone.
 */
export async function reapExpiredJobs(
  limit = 1_000,
  exceptIds?: readonly string[],
): Promise<ReapOutcome[]> {
  if (!Number.isInteger(limit) || limit < 1) {
    throw new RangeError(
      `reapExpiredJobs: limit must be a positive integer, got ${limit}`,
    );
  }
  const rows = await bfDb.query<ReapOutcome>(
    REAP_EXPIRED_SQL,
    [limit, exceptIds && exceptIds.length > 0 ? [...exceptIds] : null],
  );
  // Plain objects: callers get no driver-specific result type.
  return rows.map(({ id, type, status, workerId, charged }) => ({
    id,
    type,
    status,
    workerId,
    charged,
  }));
}
