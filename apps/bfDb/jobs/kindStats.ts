import { bfDb } from "../bfDb.ts";
import type { JobTransition } from "./jobStates.ts";

/** The transitions this file's SQL performs: none (it only reads). */
export const performs: readonly JobTransition[] = [];

/** What one (queue, type) pair holds now and did in the last hour. */
export interface KindStats {
  queue: string;
  type: string;
  /** Available and due. */
  waiting: number;
  /** Available, not due yet (runAt in the future: scheduled or backing off). */
  scheduled: number;
  /** Claimed or running. */
  inFlight: number;
  completedLastHour: number;
  failedLastHour: number;
  cancelledLastHour: number;
  /** Failed jobs kept (the dead letter, within its retention). */
  deadLetter: number;
  /** Seconds the oldest due waiting job has waited, or null when none waits. */
  oldestWaitingSeconds: number | null;
}

/**
 * Per (queue, type): jobs waiting, scheduled and in flight now, finished in the last hour, and
 * kept failed. Reads the small active table whole, the last hour of the finished tables (their
 * BRIN index on `finished_at`) and the failed jobs.
 */
export async function kindStats(): Promise<KindStats[]> {
  const rows = await bfDb.query<{
    queue: string;
    type: string;
    waiting: number;
    scheduled: number;
    in_flight: number;
    completed_1h: number;
    failed_1h: number;
    cancelled_1h: number;
    dead: number;
    oldest: number | string | null;
  }>(
    `WITH active AS (
       SELECT queue, type,
              count(*) FILTER (WHERE status = 'available' AND run_at <= now()) AS waiting,
              count(*) FILTER (WHERE status = 'available' AND run_at > now()) AS scheduled,
              count(*) FILTER (WHERE status IN ('claimed', 'running')) AS in_flight,
              extract(epoch FROM now() - min(run_at)
                FILTER (WHERE status = 'available' AND run_at <= now()))::float8 AS oldest
       FROM bfdb_jobs_active GROUP BY 1, 2
     ), recent AS (
       SELECT queue, type, count(*) FILTER (WHERE status = 'completed') AS completed_1h,
              count(*) FILTER (WHERE status = 'failed') AS failed_1h,
              count(*) FILTER (WHERE status = 'cancelled') AS cancelled_1h
       FROM (
         SELECT queue, type, status FROM bfdb_jobs_completed
         WHERE finished_at >= now() - interval '1 hour'
         UNION ALL
         SELECT queue, type, status FROM bfdb_jobs_failed
         WHERE finished_at >= now() - interval '1 hour'
       ) f GROUP BY 1, 2
     ), dead AS (
       SELECT queue, type, count(*) AS dead FROM bfdb_jobs_failed
       WHERE status = 'failed' GROUP BY 1, 2
     ), kinds AS (
       SELECT queue, type FROM active UNION SELECT queue, type FROM recent
       UNION SELECT queue, type FROM dead
     )
     SELECT k.queue, k.type, COALESCE(a.waiting, 0)::int AS waiting,
            COALESCE(a.scheduled, 0)::int AS scheduled,
            COALESCE(a.in_flight, 0)::int AS in_flight,
            COALESCE(r.completed_1h, 0)::int AS completed_1h,
            COALESCE(r.failed_1h, 0)::int AS failed_1h,
            COALESCE(r.cancelled_1h, 0)::int AS cancelled_1h, COALESCE(d.dead, 0)::int AS dead,
            a.oldest
     FROM kinds k
     LEFT JOIN active a USING (queue, type)
     LEFT JOIN recent r USING (queue, type)
     LEFT JOIN dead d USING (queue, type)
     ORDER BY k.queue, k.type`,
  );
  return rows.map((r) => ({
    queue: r.queue,
    type: r.type,
    waiting: Number(r.waiting),
    scheduled: Number(r.scheduled),
    inFlight: Number(r.in_flight),
    completedLastHour: Number(r.completed_1h),
    failedLastHour: Number(r.failed_1h),
    cancelledLastHour: Number(r.cancelled_1h),
    deadLetter: Number(r.dead),
    oldestWaitingSeconds: r.oldest === null ? null : Number(r.oldest),
  }));
}
