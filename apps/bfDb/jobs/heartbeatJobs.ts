import { bfDb } from "../bfDb.ts";
import type { JobTransition } from "./jobStates.ts";

/** The transitions this file's SQL performs: none (it extends leases in place). */
export const performs: readonly JobTransition[] = [];

/**
 * The heartbeat statement: $1 worker id, $2 lease in ms, $3 the ids the worker knows it holds
 * (null: all it holds). Rows another statement has locked (a settle of the same worker, another
 * worker's reaper, an operator) are skipped, not waited for, so a renewal never takes part in a
 * lock wait; it returns every id still credited to the worker in its snapshot, renewed or
 * skipped (the update runs to completion whether or not the result reads it).
 */
export const HEARTBEAT_SQL = `WITH mine AS MATERIALIZED (
       SELECT bf_gid FROM bfdb_jobs_active
       WHERE worker_id = $1::text
         AND status IN ('claimed', 'running')
         AND ($3::text[] IS NULL OR bf_gid = ANY($3::text[]))
     ), lockable AS MATERIALIZED (
       SELECT ctid AS tid FROM bfdb_jobs_active
       WHERE bf_gid IN (SELECT bf_gid FROM mine)
         AND worker_id = $1::text
         AND status IN ('claimed', 'running')
       ORDER BY bf_gid
       FOR UPDATE SKIP LOCKED
     ), renewed AS (
       UPDATE bfdb_jobs_active j SET
         locked_until = now() + $2::int * interval '1 millisecond',
         last_updated = now()
       FROM lockable l
       -- Locked here, so the tuple ids hold still: fetched directly (see the claim).
       WHERE j.ctid = ANY(ARRAY(SELECT tid FROM lockable)) AND j.ctid = l.tid
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
