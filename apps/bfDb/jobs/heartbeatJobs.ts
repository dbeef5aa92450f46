import { bfDb } from "../bfDb.ts";
import { JOB_CLASS_NAME } from "./jobStates.ts";

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
    `UPDATE bfdb SET
       props = props || jsonb_build_object(
         'lockedUntil', bfdb_iso(now() + $3::int * interval '1 millisecond')),
       last_updated = now()
     WHERE class_name = $1
       AND props->>'workerId' = $2::text
       AND props->>'status' IN ('claimed', 'running')
     RETURNING bf_gid`,
    [JOB_CLASS_NAME, workerId, leaseMs],
  );
  return rows.map((row) => row.bf_gid);
}
