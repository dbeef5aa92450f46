import { bfDb } from "../bfDb.ts";

/** What the reaper did to one job whose lease had expired. */
export interface ReapOutcome {
  id: string;
  type: string;
  status: "available" | "failed";
  workerId: string;
}

/**
 * The reap statement; $1 is the most jobs to reap, $2 ids to leave alone (null: none): the
 * reaping worker's own finished jobs whose settle is still being written. The class is a literal so every plan,
 * generic ones included, can use the `bfdb_jobs_in_flight` partial index.
 */
export const REAP_EXPIRED_SQL = `WITH expired AS MATERIALIZED (
       SELECT bf_gid FROM bfdb
       WHERE class_name = 'BfJob'
         AND props->>'status' IN ('claimed', 'running')
         AND props->>'lockedUntil' < bfdb_iso(now())
         AND ($2::text[] IS NULL OR NOT bf_gid = ANY($2::text[]))
       LIMIT $1
       FOR UPDATE SKIP LOCKED
     ), reaped AS (
       SELECT j.bf_gid,
              'lease expired: worker ' || COALESCE(j.props->>'workerId', '?')
                || ' stopped renewing it during attempt ' || (j.props->>'attempts') AS reason,
              j.props->>'workerId' AS worker_id,
              (j.props->>'attempts')::int >= (j.props->>'maxAttempts')::int AS exhausted
       FROM bfdb j JOIN expired USING (bf_gid)
     )
     UPDATE bfdb j SET
       props = CASE WHEN r.exhausted THEN
           (j.props - 'lockedUntil') || jsonb_build_object(
             'status', 'failed', 'error', r.reason, 'finishedAt', bfdb_iso(now()),
             'errors', bfdb_job_error_history(j.props->'errors', jsonb_build_object(
               'attempt', (j.props->>'attempts')::int, 'error', r.reason, 'at', bfdb_iso(now()),
               'permanent', false)))
         ELSE
           (j.props - 'lockedUntil' - 'workerId' - 'startedAt') || jsonb_build_object(
             'status', 'available', 'error', r.reason,
             'errors', bfdb_job_error_history(j.props->'errors', jsonb_build_object(
               'attempt', (j.props->>'attempts')::int, 'error', r.reason, 'at', bfdb_iso(now()),
               'permanent', false)))
         END,
       last_updated = now()
     FROM reaped r
     WHERE j.bf_gid = r.bf_gid
     RETURNING j.bf_gid AS id, j.props->>'type' AS type, j.props->>'status' AS status,
               r.worker_id AS "workerId"`;

/**
 * Returns claimed or running jobs whose lease has passed (their worker died or hung) to
 * `available`, or to `failed` when no attempts are left, recording why. Safe to run from
 * every worker at once: rows another reaper holds are skipped. `exceptIds` are left alone.
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
  return rows.map(({ id, type, status, workerId }) => ({
    id,
    type,
    status,
    workerId,
  }));
}
