import { bfDb } from "../bfDb.ts";
import { JOB_CHANNEL, JOB_CLASS_NAME } from "./jobStates.ts";

/** Which failed jobs an operator retry applies to. */
export type RetrySelection = { id: string } | {
  allFailed: true;
  type?: string;
};

/**
 * Puts failed jobs back to `available` with a fresh set of attempts, runnable now; returns
 * their ids. Retrying all failed jobs leaves operator-cancelled ones alone; by id retries any.
 */
export async function retryFailedJobs(
  selection: RetrySelection,
): Promise<string[]> {
  const byId = "id" in selection;
  const rows = await bfDb.query<{ bf_gid: string }>(
    `UPDATE bfdb SET
       props = (props - 'workerId' - 'lockedUntil' - 'startedAt' - 'finishedAt' - 'cancelledAt')
         || jsonb_build_object('status', 'available', 'attempts', 0, 'runAt', bfdb_iso(now())),
       last_updated = now()
     WHERE class_name = $1 AND props->>'status' = 'failed'
       AND ($2::text IS NULL OR bf_gid = $2::text)
       AND ($2::text IS NOT NULL OR NOT props ? 'cancelledAt')
       AND ($3::text IS NULL OR props->>'type' = $3::text)
     RETURNING bf_gid`,
    [
      JOB_CLASS_NAME,
      byId ? selection.id : null,
      byId ? null : (selection.type ?? null),
    ],
  );
  if (rows.length > 0) {
    await bfDb.query("SELECT pg_notify($1, '')", [JOB_CHANNEL]);
  }
  return rows.map((row) => row.bf_gid);
}

/** Cancels an available job: it becomes `failed` with the reason and is never claimed. */
export async function cancelJob(
  id: string,
  reason = "cancelled by operator",
): Promise<boolean> {
  const rows = await bfDb.query(
    `UPDATE bfdb SET
       props = props || jsonb_build_object(
         'status', 'failed', 'error', $3::text,
         'cancelledAt', bfdb_iso(now()), 'finishedAt', bfdb_iso(now())),
       last_updated = now()
     WHERE class_name = $1 AND bf_gid = $2 AND props->>'status' = 'available'
     RETURNING bf_gid`,
    [JOB_CLASS_NAME, id, reason],
  );
  return rows.length === 1;
}

/**
 * Deletes completed jobs that finished more than `olderThanMs` ago, in batches so no statement
 * holds locks for long; returns how many it deleted.
 */
export async function pruneCompletedJobs(
  olderThanMs: number,
  batchSize = 10_000,
): Promise<number> {
  if (!Number.isFinite(olderThanMs) || olderThanMs < 0) {
    throw new RangeError(
      `pruneCompletedJobs: olderThanMs must be >= 0, got ${olderThanMs}`,
    );
  }
  let total = 0;
  while (true) {
    const rows = await bfDb.query<{ deleted: number }>(
      `WITH doomed AS MATERIALIZED (
         SELECT bf_gid FROM bfdb
         WHERE class_name = $1 AND props->>'status' = 'completed'
           AND props->>'finishedAt' < bfdb_iso(now() - $2::bigint * interval '1 millisecond')
         LIMIT $3
         FOR UPDATE SKIP LOCKED
       ), gone AS (
         DELETE FROM bfdb WHERE bf_gid IN (SELECT bf_gid FROM doomed) RETURNING 1
       )
       SELECT count(*)::int AS deleted FROM gone`,
      [JOB_CLASS_NAME, Math.round(olderThanMs), batchSize],
    );
    const deleted = Number(rows[0].deleted);
    total += deleted;
    if (deleted < batchSize) return total;
  }
}

/** Deletes one finished (completed or failed) job of `orgId`; false when it is not finished. */
export async function deleteFinishedJob(
  id: string,
  orgId: string,
): Promise<boolean> {
  const rows = await bfDb.query(
    `DELETE FROM bfdb
     WHERE class_name = $1 AND bf_gid = $2 AND bf_oid = $3
       AND props->>'status' IN ('completed', 'failed')
     RETURNING bf_gid`,
    [JOB_CLASS_NAME, id, orgId],
  );
  return rows.length === 1;
}
