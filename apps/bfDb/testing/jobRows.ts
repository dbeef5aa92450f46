/**
 * Reads job rows straight from the database for the tests of bfDb, the worker and bft, so
 * assertions see what the queue stored rather than what a worker believes, and moves one job's
 * clock without waiting. Needs bfDb to have a backend.
 *
 * @example
 * ```ts
 * const props = await jobRow(job.id);
 * assert.equal(props.status, "completed");
 * ```
 *
 * @module
 */
import { bfDb } from "../bfDb.ts";
import { CurrentViewer } from "../CurrentViewer.ts";
import type { BfJob } from "../nodeTypes/BfJob.ts";
import { waitFor } from "./waitFor.ts";

/** The org the BfJob tests create jobs in. */
export const TEST_CV: CurrentViewer = CurrentViewer.forOrg(
  "org_jobs_test",
  "person_producer",
);

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

/** A job's stored props, or null when the row is gone. */
export async function findJobRow(id: string): Promise<JobRow | null> {
  const rows = await bfDb.query<{ props: unknown }>(
    "SELECT props FROM bfdb WHERE bf_gid = $1 AND class_name = 'BfJob'",
    [id],
  );
  return rows.length === 0 ? null : parseProps(rows[0].props);
}

/** A job's stored props; throws when the row does not exist. */
export async function jobRow(id: string): Promise<JobRow> {
  const row = await findJobRow(id);
  if (!row) throw new Error(`job ${id} not found`);
  return row;
}

/** The whole stored row of a job (props as text, so tests can compare bytes). */
export async function jobRowText(id: string): Promise<string> {
  const rows = await bfDb.query<{ row: string }>(
    "SELECT row_to_json(b)::text AS row FROM bfdb_jobs b WHERE bf_gid = $1",
    [id],
  );
  if (rows.length === 0) throw new Error(`job ${id} not found`);
  return rows[0].row;
}

/** How many BfJob rows exist with `status` (all of them when absent). */
export async function countJobs(status?: string): Promise<number> {
  const counts = await statusCounts();
  if (status !== undefined) return counts[status] ?? 0;
  return Object.values(counts).reduce((sum, n) => sum + n, 0);
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

/** Sets a job's `runAt` to `seconds` from the database's now (negative: in the past). */
export async function setRunAt(id: string, seconds: number): Promise<void> {
  await bfDb.query(
    `UPDATE bfdb_jobs_active SET run_at = now() + $2::float8 * interval '1 second'
     WHERE bf_gid = $1`,
    [id, seconds],
  );
}

/** Moves a job's `runAt` into the past, as if its backoff had elapsed, without waiting for it. */
export async function makeRunnableNow(id: string): Promise<void> {
  await setRunAt(id, -1);
}

/** Waits until the database clock has passed the lease of every in-flight job of `ids`. */
export async function waitForLeasesToExpire(
  ids: readonly string[],
): Promise<void> {
  await waitFor(async () => {
    const rows = await bfDb.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM bfdb_jobs_active
       WHERE bf_gid = ANY($1::text[]) AND locked_until >= now()`,
      [[...ids]],
    );
    return Number(rows[0].n) === 0;
  }, "leases to expire");
}

/** Ids of jobs, for order comparisons. */
export function ids(jobs: readonly BfJob[]): string[] {
  return jobs.map((job) => job.id);
}
