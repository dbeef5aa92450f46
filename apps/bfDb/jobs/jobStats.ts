import { bfDb } from "../bfDb.ts";
import type { JobTransition } from "./jobStates.ts";
import { ANY_QUEUE } from "./workerRegistry.ts";

/** The transitions this file's SQL performs: none (it only reads). */
export const performs: readonly JobTransition[] = [];

/** Jobs of one type in one status. */
export interface JobCount {
  type: string;
  status: string;
  count: number;
}

/** Runnable jobs of a (queue, type) pair that no live worker claims. */
export interface UnhandledKind {
  queue: string;
  type: string;
  available: number;
  oldestAgeSeconds: number;
}

/** A snapshot of the queue for operators. */
export interface JobStats {
  counts: JobCount[];
  /**
   * Seconds the oldest runnable available job that some live worker serves has waited, or
   * null when none waits. Jobs nobody serves are in `unhandled` instead, so an alert on this
   * figure fires on a queue that is stuck, not on a type whose worker is not deployed.
   */
  oldestAvailableAgeSeconds: number | null;
  /** Runnable jobs of (queue, type) pairs no live worker claims (see `bfdb_workers`). */
  unhandled: UnhandledKind[];
  /** Workers alive now. */
  liveWorkers: number;
  failed: number;
  available: number;
  inFlight: number;
}

/**
 * Counts jobs by type and status, how long the oldest runnable job some live worker serves has
 * waited, and the runnable jobs nobody serves.
 */
export async function jobStats(): Promise<JobStats> {
  const counts = await bfDb.query<JobCount>(
    `SELECT type, status, count(*)::int AS count
     FROM bfdb_jobs GROUP BY 1, 2 ORDER BY 1, 2`,
  );
  const waiting = await waitingByService();
  const sum = (status: string[]) =>
    counts.filter((c) => status.includes(c.status)).reduce(
      (n, c) => n + Number(c.count),
      0,
    );
  return {
    counts: counts.map((c) => ({ ...c, count: Number(c.count) })),
    ...waiting,
    failed: sum(["failed"]),
    available: sum(["available"]),
    inFlight: sum(["claimed", "running"]),
  };
}

/** What waits, told apart by whether a live worker serves it (see {@linkcode JobStats}). */
export interface WaitingByService {
  oldestAvailableAgeSeconds: number | null;
  unhandled: UnhandledKind[];
  liveWorkers: number;
}

/**
 * How long the oldest due job that some live worker serves has waited, the due jobs nobody
 * serves, and how many workers are alive: from the active jobs and the worker registry only,
 * so it costs the same however many finished jobs are kept.
 */
export async function waitingByService(): Promise<WaitingByService> {
  const waiting = await bfDb.query<{
    queue: string;
    type: string;
    available: number;
    age: number | string;
    served: boolean;
  }>(
    `WITH live AS (
       SELECT DISTINCT k->>'queue' AS queue, k->>'type' AS type
       FROM bfdb_workers w CROSS JOIN LATERAL jsonb_array_elements(w.kinds) k
       WHERE w.expires_at > now()
     ), waiting AS (
       SELECT queue, type, count(*)::int AS available,
              extract(epoch FROM now() - min(run_at))::float8 AS age
       FROM bfdb_jobs_active WHERE status = 'available' AND run_at <= now()
       GROUP BY 1, 2
     )
     SELECT w.queue, w.type, w.available, w.age,
            EXISTS (SELECT 1 FROM live l
                    WHERE l.type = w.type AND l.queue IN (w.queue, $1)) AS served
     FROM waiting w
     ORDER BY w.queue, w.type`,
    [ANY_QUEUE],
  );
  const live = await bfDb.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM bfdb_workers WHERE expires_at > now()",
  );
  const servedAges = waiting.filter((w) => w.served).map((w) => Number(w.age));
  return {
    oldestAvailableAgeSeconds: servedAges.length === 0
      ? null
      : Math.max(...servedAges),
    unhandled: waiting.filter((w) => !w.served).map((w) => ({
      queue: w.queue,
      type: w.type,
      available: Number(w.available),
      oldestAgeSeconds: Number(w.age),
    })),
    liveWorkers: Number(live[0]?.n ?? 0),
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
