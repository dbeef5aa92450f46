import { bfDb } from "../bfDb.ts";

/**
 * The heartbeat statement: $1 worker id, $2 lease in ms. The class is a literal so every plan,
 * generic ones included, can use the `bfdb_jobs_in_flight` partial index.
 */
export const HEARTBEAT_SQL = `UPDATE bfdb SET
       props = props || jsonb_build_object(
         'lockedUntil', bfdb_iso(now() + $2::int * interval '1 millisecond')),
       last_updated = now()
     WHERE class_name = 'BfJob'
       AND props->>'workerId' = $1::text
       AND props->>'status' IN ('claimed', 'running')
     RETURNING bf_gid`;

/**
 * Extends the lease of every job `workerId` holds, in one statement; returns the ids still held,
 * so the worker can abort any job whose lease it lost.
 */
export async function heartbeatJobs(
  workerId: string,
  leaseMs: number,
): Promise<string[]> {
  if (!Number.isInteger(leaseMs) || leaseMs < 1 || leaseMs > 86_400_000) {
    throw new RangeError(
      `heartbeatJobs: leaseMs must be an integer from 1 to 86400000, got ${leaseMs}`,
    );
  }
  const rows = await bfDb.query<{ bf_gid: string }>(
    HEARTBEAT_SQL,
    [workerId, leaseMs],
  );
  return rows.map((row) => row.bf_gid);
}
