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
