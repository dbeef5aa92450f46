import { bfDb } from "../bfDb.ts";
import type { JobTransition } from "./jobStates.ts";

/** The transitions this file's SQL performs: none (it only reads). */
export const performs: readonly JobTransition[] = [];

/** Jobs that finished in one minute, by outcome. */
export interface MinuteCount {
  /** The minute's start, ISO-8601 UTC. */
  minute: string;
  completed: number;
  failed: number;
  cancelled: number;
}

/**
 * Jobs finished in each of the last `minutes` whole minutes up to and including the current
 * one (by the database's clock), oldest first; minutes with none are zeros. Reads only the
 * recent end of the finished-job partitions (their BRIN index on `finished_at`).
 *
 * @example
 * ```ts
 * const lastHour = await finishedPerMinute(60);
 * const failures = lastHour.reduce((n, m) => n + m.failed, 0);
 * ```
 */
export async function finishedPerMinute(
  minutes = 60,
): Promise<MinuteCount[]> {
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > 1440) {
    throw new RangeError(
      `finishedPerMinute: minutes must be a whole number from 1 to 1440, got ${minutes}`,
    );
  }
  const rows = await bfDb.query<{
    minute: string;
    completed: number;
    failed: number;
    cancelled: number;
  }>(
    `WITH since AS MATERIALIZED (
       SELECT date_trunc('minute', now()) - ($1::int - 1) * interval '1 minute' AS t
     ), finished AS (
       SELECT date_trunc('minute', finished_at) AS minute, status
       FROM bfdb_jobs_completed WHERE finished_at >= (SELECT t FROM since)
       UNION ALL
       SELECT date_trunc('minute', finished_at), status
       FROM bfdb_jobs_failed WHERE finished_at >= (SELECT t FROM since)
     ), counted AS (
       SELECT minute, count(*) FILTER (WHERE status = 'completed')::int AS completed,
              count(*) FILTER (WHERE status = 'failed')::int AS failed,
              count(*) FILTER (WHERE status = 'cancelled')::int AS cancelled
       FROM finished GROUP BY minute
     )
     SELECT bfdb_iso(m) AS minute, COALESCE(c.completed, 0) AS completed,
            COALESCE(c.failed, 0) AS failed, COALESCE(c.cancelled, 0) AS cancelled
     FROM generate_series((SELECT t FROM since), date_trunc('minute', now()),
                          interval '1 minute') AS m
     LEFT JOIN counted c ON c.minute = m
     ORDER BY m`,
    [minutes],
  );
  return rows.map((r) => ({
    minute: r.minute,
    completed: Number(r.completed),
    failed: Number(r.failed),
    cancelled: Number(r.cancelled),
  }));
}
