import { bfDb } from "../bfDb.ts";

/** A job as its holder knows it: the id and the attempt it claimed, which fence every settle. */
export interface HeldJob {
  id: string;
  attempt: number;
  /**
   * When the worker started a job it had claimed ahead (ISO-8601), if the start was not
   * written yet: the settle records it, so a short job needs no separate start write.
   */
  startedAt?: string;
}

/**
 * SQL condition (on alias `j` joined to input alias `x` with `id`, `attempt`) that a settle
 * applies only to jobs still held by the worker bound at `$workerParam` for that same attempt;
 * a worker whose lease was reaped, or whose job was re-claimed, changes nothing.
 *
 * The checks compare jsonb (`->`), not text (`->>`), on purpose: in the `->>` form they match
 * the `bfdb_jobs_in_flight` index, and the planner may then scan every job the worker holds
 * for each settle; this way each settled job is one primary-key lookup.
 */
export function heldBy(workerParam: string): string {
  return `j.bf_gid = x.id
    AND j.class_name = 'BfJob'
    AND j.props->'workerId' = to_jsonb(${workerParam}::text)
    AND j.props->'status' IN ('"claimed"'::jsonb, '"running"'::jsonb)
    AND j.props->'attempts' = to_jsonb(x.attempt)`;
}

/** Serializes held jobs for a `jsonb_to_recordset` input. */
export function heldJobsJson(jobs: readonly HeldJob[]): string {
  return JSON.stringify(
    jobs.map((job) => ({
      id: job.id,
      attempt: job.attempt,
      started_at: job.startedAt ?? null,
    })),
  );
}

/**
 * Runs `UPDATE bfdb j SET props = <newProps>` on the jobs `workerId` still holds (see `heldBy`),
 * in one statement; `newProps` may use `j.props` and `x.started_at`. Returns the ids it changed:
 * the others were lost to the reaper or re-claimed, and stay as their new owner left them.
 */
export async function updateHeldJobs(
  workerId: string,
  jobs: readonly HeldJob[],
  newProps: string,
  extraCondition = "TRUE",
): Promise<string[]> {
  if (jobs.length === 0) return [];
  const rows = await bfDb.query<{ bf_gid: string }>(
    `WITH x AS (
       SELECT * FROM jsonb_to_recordset($1::text::jsonb)
         AS x(id text, attempt int, started_at text)
     ), ${lockHeldInOrder("$2", extraCondition)}
     UPDATE bfdb j SET props = ${newProps}, last_updated = now()
     FROM locked x
     WHERE j.bf_gid = x.id
     RETURNING j.bf_gid`,
    [heldJobsJson(jobs), workerId],
  );
  return rows.map((row) => row.bf_gid);
}

/**
 * A CTE named `locked` that locks, in `bf_gid` order, the rows of input CTE `x` still held by
 * the worker at `workerParam` (see `heldBy`), and yields x's columns for them. Every multi-row
 * update of job rows that may wait on a lock takes its locks in this one order, so two such
 * statements can delay each other but never deadlock.
 */
export function lockHeldInOrder(
  workerParam: string,
  extraCondition = "TRUE",
): string {
  return `locked AS MATERIALIZED (
       SELECT x.* FROM bfdb j JOIN x ON TRUE
       WHERE ${heldBy(workerParam)} AND ${extraCondition}
       ORDER BY j.bf_gid
       FOR UPDATE OF j
     )`;
}
