import { bfDb } from "../bfDb.ts";
import { JOB_CLASS_NAME } from "./jobStates.ts";

/** Jobs of one type in one status. */
export interface JobCount {
  type: string;
  status: string;
  count: number;
}

/** A snapshot of the queue for operators. */
export interface JobStats {
  counts: JobCount[];
  /** Seconds the oldest runnable available job has waited, or null when none waits. */
  oldestAvailableAgeSeconds: number | null;
  failed: number;
  available: number;
  inFlight: number;
}

/** Counts jobs by type and status, and how long the oldest runnable job has waited. */
export async function jobStats(): Promise<JobStats> {
  const counts = await bfDb.query<JobCount>(
    `SELECT props->>'type' AS type, props->>'status' AS status, count(*)::int AS count
     FROM bfdb WHERE class_name = $1 GROUP BY 1, 2 ORDER BY 1, 2`,
    [JOB_CLASS_NAME],
  );
  const oldest = await bfDb.query<{ age: number | string | null }>(
    `SELECT extract(epoch FROM now() - min((props->>'runAt')::timestamptz))::float8 AS age
     FROM bfdb
     WHERE class_name = $1 AND props->>'status' = 'available' AND props->>'runAt' <= bfdb_iso(now())`,
    [JOB_CLASS_NAME],
  );
  const sum = (status: string[]) =>
    counts.filter((c) => status.includes(c.status)).reduce(
      (n, c) => n + Number(c.count),
      0,
    );
  const age = oldest[0]?.age;
  return {
    counts: counts.map((c) => ({ ...c, count: Number(c.count) })),
    oldestAvailableAgeSeconds: age === null || age === undefined
      ? null
      : Number(age),
    failed: sum(["failed"]),
    available: sum(["available"]),
    inFlight: sum(["claimed", "running"]),
  };
}

/** Runnable available jobs per type: the queue depth a metrics endpoint reports. */
export async function queueDepth(): Promise<Record<string, number>> {
  const rows = await bfDb.query<{ type: string; count: number }>(
    `SELECT props->>'type' AS type, count(*)::int AS count FROM bfdb
     WHERE class_name = $1 AND props->>'status' = 'available' AND props->>'runAt' <= bfdb_iso(now())
     GROUP BY 1`,
    [JOB_CLASS_NAME],
  );
  return Object.fromEntries(rows.map((row) => [row.type, Number(row.count)]));
}
