/** A job as its holder knows it: the id and the attempt it claimed, which fence every settle. */
export interface HeldJob {
  id: string;
  attempt: number;
}

/**
 * SQL condition (on alias `j` joined to input alias `x` with `id`, `attempt`) that a settle
 * applies only to jobs still held by the worker bound at `$workerParam` for that same attempt;
 * a worker whose lease was reaped, or whose job was re-claimed, changes nothing.
 */
export function heldBy(workerParam: string): string {
  return `j.bf_gid = x.id
    AND j.class_name = 'BfJob'
    AND j.props->>'workerId' = ${workerParam}::text
    AND j.props->>'status' IN ('claimed', 'running')
    AND (j.props->>'attempts')::int = x.attempt`;
}

/** Serializes held jobs for a `jsonb_to_recordset` input. */
export function heldJobsJson(jobs: readonly HeldJob[]): string {
  return JSON.stringify(
    jobs.map((job) => ({ id: job.id, attempt: job.attempt })),
  );
}
