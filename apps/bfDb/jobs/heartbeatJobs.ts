import { bfDb } from "../bfDb.ts";

/**
 * The heartbeat statement: $1 worker id, $2 lease in ms, $3 the ids the worker knows it holds
 * (null: all it holds). Rows another statement has locked (a settle of the same worker, another
 * worker's reaper, an operator) are skipped, not waited for, so a renewal never takes part in a
 * lock wait; it returns every id still credited to the worker in its snapshot, renewed or
 * skipped (the update runs to completion whether or not the result reads it). The class is a literal so every plan, generic ones included, can use the
 * `bfdb_jobs_in_flight` partial index.
 */
export const HEARTBEAT_SQL = `WITH mine AS MATERIALIZED (
       SELECT bf_gid FROM bfdb
       WHERE class_name = 'BfJob'
         AND props->>'workerId' = $1::text
         AND props->>'status' IN ('claimed', 'running')
         AND ($3::text[] IS NULL OR bf_gid = ANY($3::text[]))
     ), lockable AS MATERIALIZED (
       SELECT bf_gid FROM bfdb
       WHERE bf_gid IN (SELECT bf_gid FROM mine)
         AND class_name = 'BfJob'
         AND props->>'workerId' = $1::text
         AND props->>'status' IN ('claimed', 'running')
       ORDER BY bf_gid
       FOR UPDATE SKIP LOCKED
     ), renewed AS (
       UPDATE bfdb j SET
         props = j.props || jsonb_build_object(
           'lockedUntil', bfdb_iso(now() + $2::int * interval '1 millisecond')),
         last_updated = now()
       FROM lockable l
       WHERE j.bf_gid = l.bf_gid
       RETURNING j.bf_gid
     )
     SELECT bf_gid FROM mine`;

/**
 * Extends the lease of every job `workerId` holds (only those in `ids`, when given), in one
 * statement; returns the ids still held, so the worker can abort any job whose lease it lost.
 * A worker passes the ids it knows: a job whose claim committed but whose reply never arrived
 * is then left to lapse and be reaped, instead of being renewed for as long as the worker lives.
 */
export async function heartbeatJobs(
  workerId: string,
  leaseMs: number,
  ids?: readonly string[],
): Promise<string[]> {
  if (!Number.isInteger(leaseMs) || leaseMs < 1 || leaseMs > 86_400_000) {
    throw new RangeError(
      `heartbeatJobs: leaseMs must be an integer from 1 to 86400000, got ${leaseMs}`,
    );
  }
  const rows = await bfDb.query<{ bf_gid: string }>(
    HEARTBEAT_SQL,
    [workerId, leaseMs, ids ? [...ids] : null],
  );
  return rows.map((row) => row.bf_gid);
}
