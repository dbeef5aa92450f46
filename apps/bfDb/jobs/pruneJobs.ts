import { bfDb } from "../bfDb.ts";
import type { JobTransition } from "./jobStates.ts";

/** The transitions this file's SQL performs: none (it removes finished jobs whole days at a time). */
export const performs: readonly JobTransition[] = [];

/** The two tables of finished jobs, each partitioned by the UTC day a job finished. */
export const FINISHED_TABLES = [
  "bfdb_jobs_completed",
  "bfdb_jobs_failed",
] as const;

/** One of {@linkcode FINISHED_TABLES}. */
export type FinishedTable = typeof FINISHED_TABLES[number];

const DAY_MS = 86_400_000;

/** How long a prune may wait for a lock on a partition before it leaves the day for next time. */
const PRUNE_LOCK_TIMEOUT = "2s";

/**
 * Creates the day partitions of both finished-job tables from today to `daysAhead` days on
 * (UTC), where missing; rows that landed in a default partition meanwhile move into their day.
 * Returns how many partitions it created.
 */
export async function ensureJobPartitions(daysAhead = 2): Promise<number> {
  const [row] = await bfDb.query<{ created: number }>(
    `SELECT count(*) FILTER (WHERE bfdb_jobs_ensure_day(t, (now() AT TIME ZONE 'UTC')::date + d))
              ::int AS created
     FROM unnest($1::text[]::regclass[]) AS t, generate_series(0, $2::int) AS d`,
    [[...FINISHED_TABLES], daysAhead],
  );
  return Number(row.created);
}

/** What one prune removed. */
export interface PruneResult {
  /** Jobs removed. */
  removed: number;
  /** Day partitions emptied and dropped. */
  partitions: number;
  /** Day partitions past the cutoff left for next time (a lock was not granted in time). */
  skipped: number;
}

/**
 * The day partitions of `table` (from their names) that may hold jobs finished before `cutoff`:
 * those whose day began before it, each with whether its whole day has ended by then.
 */
async function daysBefore(
  table: FinishedTable,
  cutoff: number,
): Promise<{ name: string; whole: boolean }[]> {
  const rows = await bfDb.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i
     JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = $1::regclass AND c.relname ~ '_p[0-9]{8}$'`,
    [table],
  );
  return rows.map((r) => {
    const d = r.name.slice(-8);
    const start = Date.UTC(+d.slice(0, 4), +d.slice(4, 6) - 1, +d.slice(6, 8));
    return { name: r.name, start, whole: start + DAY_MS <= cutoff };
  }).filter((p) => p.start < cutoff).sort((a, b) => a.start - b.start);
}

/**
 * Removes finished jobs of `table` that finished more than `olderThanMs` ago, a whole UTC day
 * partition at a time: each partition whose day ended before the cutoff is emptied with TRUNCATE
 * and dropped, so no row is deleted one by one and no dead tuple is left. The day that straddles
 * the cutoff is emptied too when, under a lock that keeps new rows out, none of its jobs is
 * newer than the cutoff; otherwise it stays until it has passed. Jobs older than the cutoff in
 * the default partition (a day whose partition did not exist yet) are deleted. A partition busy
 * beyond a short lock timeout is left for the next prune.
 */
export async function pruneFinishedJobs(
  table: FinishedTable,
  olderThanMs: number,
): Promise<PruneResult> {
  if (!FINISHED_TABLES.includes(table)) {
    throw new TypeError(`pruneFinishedJobs: unknown table ${String(table)}`);
  }
  if (!Number.isFinite(olderThanMs) || olderThanMs < 0) {
    throw new RangeError(
      `pruneFinishedJobs: olderThanMs must be >= 0, got ${olderThanMs}`,
    );
  }
  const [{ now }] = await bfDb.query<{ now: Date | string }>(
    "SELECT now() AS now",
  );
  const cutoff = new Date(now).getTime() - olderThanMs;
  const result: PruneResult = { removed: 0, partitions: 0, skipped: 0 };
  for (const { name, whole } of await daysBefore(table, cutoff)) {
    try {
      const removed = await bfDb.transaction(async () => {
        await bfDb.query(`SET LOCAL lock_timeout = '${PRUNE_LOCK_TIMEOUT}'`);
        // The partition's name comes from the catalog and matches /_p[0-9]{8}$/ on one of the
        // two table names: it is quoted as an identifier all the same.
        const ident = `"${name.replaceAll('"', '""')}"`;
        await bfDb.query(`LOCK TABLE ${ident} IN ACCESS EXCLUSIVE MODE`);
        const [row] = await bfDb.query<{ n: number; newer: boolean }>(
          `SELECT count(*)::int AS n,
                  COALESCE(max(finished_at) >= to_timestamp($1::float8 / 1000), false) AS newer
           FROM ${ident}`,
          [cutoff],
        );
        if (row.newer) return null;
        await bfDb.query(`TRUNCATE ${ident}`);
        // A day still to come or still running keeps its (now empty) partition.
        if (whole) await bfDb.query(`DROP TABLE ${ident}`);
        return Number(row.n);
      });
      if (removed === null) continue;
      result.removed += removed;
      result.partitions++;
    } catch (error) {
      if ((error as { code?: string }).code !== "55P03") throw error;
      result.skipped++;
    }
  }
  const [stray] = await bfDb.query<{ n: number }>(
    `WITH gone AS (
       DELETE FROM ${table}_default
       WHERE finished_at < to_timestamp($1::float8 / 1000) RETURNING 1
     ) SELECT count(*)::int AS n FROM gone`,
    [cutoff],
  );
  result.removed += Number(stray.n);
  return result;
}

/**
 * Summarizes the block ranges of the finished-job partitions' BRIN indexes that are not yet
 * (autovacuum does it where it runs; a server with autovacuum off would otherwise keep every
 * range unsummarized, and a count of the last hour would read whole days). Returns how many
 * ranges it summarized.
 */
export async function summarizeFinishedRanges(): Promise<number> {
  const [row] = await bfDb.query<{ n: number | string | null }>(
    `SELECT sum(brin_summarize_new_values(x.indexrelid))::int AS n
     FROM pg_inherits p
     JOIN pg_index x ON x.indrelid = p.inhrelid
     JOIN pg_class ic ON ic.oid = x.indexrelid
     JOIN pg_am am ON am.oid = ic.relam AND am.amname = 'brin'
     WHERE p.inhparent = ANY($1::text[]::regclass[])`,
    [[...FINISHED_TABLES]],
  );
  return Number(row?.n ?? 0);
}
