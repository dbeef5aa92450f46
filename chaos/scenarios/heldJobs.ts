/**
 * Shared helper for scenarios: how many jobs a worker holds (claimed or running) right now.
 *
 * @module
 */
import type postgres from "postgres";

/** Jobs `workerId` holds now, by the database's account. */
export async function heldBy(
  admin: postgres.Sql,
  workerId: string,
): Promise<number> {
  const [row] = await admin.unsafe<{ n: number }[]>(
    `SELECT count(*)::int AS n FROM bfdb
     WHERE class_name = 'BfJob' AND props->>'workerId' = $1
       AND props->>'status' IN ('claimed', 'running')`,
    [workerId],
  );
  return row.n;
}
