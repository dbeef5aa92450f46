// Shared helpers for the BfJob tests: read job rows straight from the database, move time
// forward for one job without waiting, and wait for conditions without timing assertions.
import { setTimeout as sleep } from "node:timers/promises";
import { bfDb } from "../bfDb.ts";
import { CurrentViewer } from "../CurrentViewer.ts";
import type { BfJob } from "./BfJob.ts";

export { sleep };

/** The org the tests create jobs in. */
export const TEST_CV: CurrentViewer = CurrentViewer.forOrg(
  "org_jobs_test",
  "person_producer",
);

/** A job's props as stored, read on the shared pool, or null when the row is gone. */
export async function jobProps(
  id: string,
): Promise<Record<string, unknown> | null> {
  const rows = await bfDb.query<{ props: Record<string, unknown> | string }>(
    "SELECT props FROM bfdb WHERE bf_gid = $1",
    [id],
  );
  if (rows.length === 0) return null;
  const props = rows[0].props;
  return typeof props === "string" ? JSON.parse(props) : props;
}

/** Like `jobProps`, but throws when the row is gone. */
export async function jobPropsX(id: string): Promise<Record<string, unknown>> {
  const props = await jobProps(id);
  if (!props) throw new Error(`job ${id} not found`);
  return props;
}

/** The whole stored row of a job (props as text, so tests can compare bytes). */
export async function jobRowText(id: string): Promise<string> {
  const rows = await bfDb.query<{ row: string }>(
    "SELECT row_to_json(b)::text AS row FROM bfdb b WHERE bf_gid = $1",
    [id],
  );
  if (rows.length === 0) throw new Error(`job ${id} not found`);
  return rows[0].row;
}

/** How many BfJob rows exist with `status` (all of them when absent). */
export async function countJobs(status?: string): Promise<number> {
  const rows = await bfDb.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM bfdb
     WHERE class_name = 'BfJob' AND ($1::text IS NULL OR props->>'status' = $1::text)`,
    [status ?? null],
  );
  return Number(rows[0].n);
}

/** Sets a job's `runAt` to `seconds` from the database's now (negative: in the past). */
export async function setRunAt(id: string, seconds: number): Promise<void> {
  await bfDb.query(
    `UPDATE bfdb SET props = props || jsonb_build_object(
       'runAt', bfdb_iso(now() + $2::float8 * interval '1 second'))
     WHERE bf_gid = $1`,
    [id, seconds],
  );
}

/** Waits until the database clock has passed the lease of every in-flight job of `ids`. */
export async function waitForLeasesToExpire(
  ids: readonly string[],
): Promise<void> {
  await waitFor(async () => {
    const rows = await bfDb.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM bfdb
       WHERE bf_gid = ANY($1::text[]) AND props->>'lockedUntil' >= bfdb_iso(now())`,
      [[...ids]],
    );
    return Number(rows[0].n) === 0;
  }, "leases to expire");
}

/**
 * Polls `check` until it is true. The deadline only stops a broken test from hanging; it is
 * generous on purpose and no assertion depends on how fast anything is.
 */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  what: string,
  deadlineMs = 60_000,
): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > deadlineMs) {
      throw new Error(`gave up waiting for ${what}`);
    }
    await sleep(10);
  }
}

/** The database's now in the sortable form job props use. */
export async function dbNowIso(): Promise<string> {
  const rows = await bfDb.query<{ now: string }>(
    "SELECT bfdb_iso(clock_timestamp()) AS now",
  );
  return rows[0].now;
}

/** Ids of jobs, for order comparisons. */
export function ids(jobs: readonly BfJob[]): string[] {
  return jobs.map((job) => job.id);
}
