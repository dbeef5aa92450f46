import { bfDb } from "../bfDb.ts";
import type { JobTransition } from "./jobStates.ts";

/** The transitions this file's SQL performs: none (it only reads). */
export const performs: readonly JobTransition[] = [];

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
    `SELECT type, status, count(*)::int AS count
     FROM bfdb_jobs GROUP BY 1, 2 ORDER BY 1, 2`,
  );
  const oldest = await bfDb.query<{ age: number | string | null }>(
    `SELECT extract(epoch FROM now() - min(run_at))::float8 AS age
     FROM bfdb_jobs_active WHERE status = 'available' AND run_at <= now()`,
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
    `SELECT type, count(*)::int AS count FROM bfdb_jobs_active
     WHERE status = 'available' AND run_at <= now()
     GROUP BY 1`,
  );
  return Object.fromEntries(rows.map((row) => [row.type, Number(row.count)]));
}
