/**
 * The queue's own vacuum, for servers where autovacuum is off.
 * Every job leaves two or three dead row versions in `bfdb_jobs_active` (claim, start, the move
 * to a finished table); autovacuum clears them by the table's own thresholds (migration 004),
 * but with it off the table and its claim index only grow: a 3-minute saturation run left 2
 * million dead rows, 500 MB for 5,000 live ones, and the drain slowed by a fifth.
 *
 * @module
 */
import { bfDb } from "../bfDb.ts";
import type { JobTransition } from "./jobStates.ts";

/** The transitions this file's SQL performs: none (it only reclaims dead row versions). */
export const performs: readonly JobTransition[] = [];

/** The tables the queue churns: waiting and running jobs, and queue settings (starts window). */
export const CHURNED_TABLES = ["bfdb_jobs_active", "bfdb_job_queues"] as const;

/** What one check saw and did. */
export interface VacuumCheck {
  /** Whether the server's autovacuum is on (then this does nothing). */
  autovacuum: boolean;
  /** Dead row versions of the churned tables, as the statistics count them. */
  deadRows: number;
  /** Whether it vacuumed (the tables another session was vacuuming are skipped). */
  vacuumed: boolean;
}

/**
 * Vacuums the queue's churned tables when the server's autovacuum is off and they hold at least
 * `minDeadRows` dead row versions. `VACUUM (SKIP_LOCKED)`: every worker may call it, and one
 * that finds the table being vacuumed goes on at once.
 */
export async function vacuumQueueTablesIfNeeded(
  minDeadRows: number,
): Promise<VacuumCheck> {
  const [row] = await bfDb.query<{ autovacuum: boolean; dead: number }>(
    `SELECT current_setting('autovacuum')::boolean AS autovacuum,
            COALESCE(sum(n_dead_tup), 0)::int8 AS dead
     FROM pg_stat_user_tables WHERE relid = ANY($1::text[]::regclass[])`,
    [[...CHURNED_TABLES]],
  );
  const check = {
    autovacuum: Boolean(row.autovacuum),
    deadRows: Number(row.dead),
    vacuumed: false,
  };
  if (check.autovacuum || check.deadRows < minDeadRows) return check;
  // Not a transaction: VACUUM cannot run in one. The names are constants.
  await bfDb.query(`VACUUM (SKIP_LOCKED) ${CHURNED_TABLES.join(", ")}`);
  return { ...check, vacuumed: true };
}
