import { bfDb } from "../bfDb.ts";

/** A job as its holder knows it: the id and the attempt it claimed, which fence every settle. */
export interface HeldJob {
  id: string;
  attempt: number;
  /**
   * When the worker started a job it had claimed ahead (epoch milliseconds), if the start was
   * not written yet: the settle records it, so a short job needs no separate start write. A
   * number, not ISO text: formatting a date per job was a visible share of a no-op job's cost.
   */
  startedAtMs?: number;
}

/** One extra per-job input column of a fenced statement: its name, SQL type and values. */
export interface HeldColumn {
  name: string;
  type: "text" | "int" | "bigint" | "boolean";
  values: readonly unknown[];
}

/** Bound parameters and SQL fragments of a fenced statement over held jobs. */
export interface HeldInput {
  params: unknown[];
  /** A CTE `x`, one row per held job (`id`, `attempt`, `started_at` and the extra columns). */
  cte: string;
  /**
   * The condition (on the job table as `j`) that a row is one of the input's and still held:
   * `claimed` or `running` by this worker for the same attempt.
   */
  held: string;
}

/**
 * The input of a fenced statement: `jobs` held by `workerId`. A worker whose lease was reaped,
 * or whose job was claimed again, changes nothing. The rows are found through
 * `bf_gid = x.id`, one primary-key lookup each (the scale test checks the plans), and the input
 * is sorted by id, so whichever side drives the join the rows are locked in `bf_gid` order: every multi-row statement on job rows that
 * may wait on a lock takes its locks in this one order, so two of them can delay each other but
 * never deadlock.
 *
 * Every extra column travels as text[] and is cast in SQL (the driver cannot type boolean or
 * bigint arrays, nor an array of nulls, on its own).
 */
export function heldInput(
  workerId: string,
  jobs: readonly HeldJob[],
  columns: readonly HeldColumn[] = [],
): HeldInput {
  const order = jobs.map((_, i) => i).sort((a, b) =>
    jobs[a].id < jobs[b].id ? -1 : jobs[a].id > jobs[b].id ? 1 : 0
  );
  const all: HeldColumn[] = [
    {
      name: "started",
      type: "text",
      values: jobs.map((j) => j.startedAtMs ?? ""),
    },
    ...columns,
  ];
  const arrays = all.map((_, i) => `$${i + 4}::text[]`).join(", ");
  const names = all.map((c) => `_${c.name}`).join(", ");
  const casts = all.map((c) => `u._${c.name}::${c.type} AS ${c.name}`).join(
    ", ",
  );
  return {
    params: [
      order.map((i) => jobs[i].id),
      order.map((i) => String(jobs[i].attempt)),
      workerId,
      ...all.map((c) =>
        order.map((i) => c.values[i] === null ? null : String(c.values[i]))
      ),
    ],
    cte: `x AS (
       SELECT u.id, u._attempt::int AS attempt, ${casts},
              to_timestamp(NULLIF(u._started, '')::float8 / 1000) AS started_at
       FROM unnest($1::text[], $2::text[], ${arrays}) AS u(id, _attempt, ${names})
     )`,
    held: `j.bf_gid = x.id
       AND j.worker_id = $3::text AND j.status IN ('claimed', 'running')
       AND j.attempts = x.attempt`,
  };
}

/**
 * Runs `UPDATE bfdb_jobs_active j SET <assignments>` on the jobs `workerId` still holds (see
 * `heldInput`), in one statement; `assignments` may use `j` and the input row `x` (with
 * `columns`). Returns the ids it changed.
 */
export async function updateHeldJobs(
  workerId: string,
  jobs: readonly HeldJob[],
  assignments: string,
  extraCondition = "TRUE",
  columns: readonly HeldColumn[] = [],
): Promise<string[]> {
  if (jobs.length === 0) return [];
  const input = heldInput(workerId, jobs, columns);
  const rows = await bfDb.query<{ bf_gid: string }>(
    `WITH ${input.cte}
     UPDATE bfdb_jobs_active j SET ${assignments}, last_updated = now()
     FROM x
     WHERE ${input.held} AND ${extraCondition}
     RETURNING j.bf_gid`,
    input.params,
  );
  return rows.map((row) => row.bf_gid);
}
