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

/** One extra per-job input column of a fenced update: its name, SQL array type and values. */
export interface HeldColumn {
  name: string;
  type: "text" | "int" | "bigint" | "boolean";
  values: readonly unknown[];
}

/**
 * Runs `UPDATE bfdb j SET props = <newProps>` on the jobs `workerId` still holds for the attempt
 * it claimed, in one statement; `newProps` may use `j.props` and the input row `x` (`x.id`,
 * `x.attempt`, `x.started_at` and any `columns`). Returns the ids it changed: the others were
 * lost to the reaper or re-claimed, and stay as their new owner left them.
 *
 * The rows are found through `bf_gid = ANY($1)`, so each is one primary-key lookup whatever the
 * planner thinks of the table, and locked in `bf_gid` order before they are changed: every
 * multi-row update of job rows that may wait on a lock takes its locks in this one order, so two
 * such statements can delay each other but never deadlock.
 */
export async function updateHeldJobs(
  workerId: string,
  jobs: readonly HeldJob[],
  newProps: string,
  options: {
    extraCondition?: string;
    columns?: readonly HeldColumn[];
    returning?: string;
  } = {},
): Promise<Record<string, unknown>[]> {
  if (jobs.length === 0) return [];
  // Empty, not null, when absent: the driver cannot type an array of nulls; see `x.started_at`.
  const columns: HeldColumn[] = [
    {
      name: "started",
      type: "text",
      values: jobs.map((j) => j.startedAt ?? ""),
    },
    ...(options.columns ?? []),
  ];
  // Every extra column travels as text[] and is cast in SQL: the driver cannot type boolean or
  // bigint arrays on its own.
  const arrays = columns.map((_, i) => `$${i + 4}::text[]`).join(", ");
  const names = columns.map((c) => `_${c.name}`).join(", ");
  const casts = columns.map((c) => `u._${c.name}::${c.type} AS ${c.name}`)
    .join(", ");
  return await bfDb.query(
    `WITH locked AS MATERIALIZED (
       SELECT j.bf_gid FROM bfdb j
       WHERE j.bf_gid = ANY($1::text[])
         AND j.class_name = 'BfJob'
         AND j.props->'workerId' = to_jsonb($3::text)
         AND j.props->'status' IN ('"claimed"'::jsonb, '"running"'::jsonb)
         AND ${options.extraCondition ?? "TRUE"}
       ORDER BY j.bf_gid
       FOR UPDATE OF j
     )
     UPDATE bfdb j SET props = ${newProps}, last_updated = now()
     FROM locked,
          LATERAL (
            SELECT u.id, u.attempt, ${casts}, NULLIF(u._started, '') AS started_at
            FROM unnest($1::text[], $2::int[], ${arrays}) AS u(id, attempt, ${names})
          ) x
     WHERE j.bf_gid = locked.bf_gid AND x.id = locked.bf_gid
       AND j.props->'attempts' = to_jsonb(x.attempt)
     RETURNING ${options.returning ?? "j.bf_gid"}`,
    [
      jobs.map((j) => j.id),
      jobs.map((j) => j.attempt),
      workerId,
      ...columns.map((c) => c.values.map(String)),
    ],
  );
}

/** `updateHeldJobs` for settles that report only which ids they changed. */
export async function updateHeldJobIds(
  workerId: string,
  jobs: readonly HeldJob[],
  newProps: string,
  extraCondition?: string,
): Promise<string[]> {
  const rows = await updateHeldJobs(workerId, jobs, newProps, {
    extraCondition,
  });
  return rows.map((row) => row.bf_gid as string);
}
