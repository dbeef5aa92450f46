/**
 * Reads job rows straight from the database for worker tests, so assertions see what the queue
 * stored rather than what a worker believes. Needs bfDb to have a backend.
 *
 * @example
 * ```ts
 * const props = await jobRow(job.id);
 * assert.equal(props.status, "completed");
 * ```
 *
 * @module
 */
import { bfDb } from "@bfmono/apps/bfDb/bfDb.ts";

/** A job's props as stored. */
export interface JobRow {
  type: string;
  payload: unknown;
  status: string;
  attempts: number;
  maxAttempts: number;
  error?: string;
  workerId?: string;
  runAt?: string;
  lockedUntil?: string;
  startedAt?: string;
  finishedAt?: string;
  errors?: { attempt: number; error: string }[];
  [key: string]: unknown;
}

function parseProps(props: unknown): JobRow {
  return (typeof props === "string" ? JSON.parse(props) : props) as JobRow;
}

/** A job's stored props; throws when the row does not exist. */
export async function jobRow(id: string): Promise<JobRow> {
  const rows = await bfDb.query<{ props: unknown }>(
    "SELECT props FROM bfdb WHERE bf_gid = $1 AND class_name = 'BfJob'",
    [id],
  );
  if (rows.length === 0) throw new Error(`job ${id} not found`);
  return parseProps(rows[0].props);
}

/** Every job row, keyed by id. */
export async function allJobRows(): Promise<Map<string, JobRow>> {
  const rows = await bfDb.query<{ id: string; props: unknown }>(
    "SELECT bf_gid AS id, props FROM bfdb WHERE class_name = 'BfJob'",
  );
  return new Map(rows.map((row) => [row.id, parseProps(row.props)]));
}

/** Job counts by status (statuses with no job are absent). */
export async function statusCounts(): Promise<Record<string, number>> {
  const rows = await bfDb.query<{ status: string; n: number }>(
    `SELECT props->>'status' AS status, count(*)::int AS n FROM bfdb
     WHERE class_name = 'BfJob' GROUP BY 1`,
  );
  return Object.fromEntries(rows.map((row) => [row.status, Number(row.n)]));
}

/** The database's now, in the sortable ISO form job props use. */
export async function databaseNow(): Promise<string> {
  const [row] = await bfDb.query<{ now: string }>(
    "SELECT bfdb_iso(clock_timestamp()) AS now",
  );
  return row.now;
}

/** Moves a job's `runAt` into the past, as if its backoff had elapsed, without waiting for it. */
export async function makeRunnableNow(id: string): Promise<void> {
  await bfDb.query(
    `UPDATE bfdb SET props = props || jsonb_build_object(
       'runAt', bfdb_iso(now() - interval '1 second'))
     WHERE bf_gid = $1 AND class_name = 'BfJob'`,
    [id],
  );
}
