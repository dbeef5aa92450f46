import { bfDb } from "../bfDb.ts";
import { BF_COLUMNS, type BfRow } from "../classes/nodeRow.ts";
import { JOB_CLASS_NAME, JOB_STATUSES, type JobStatus } from "./jobStates.ts";

/** Which jobs an operator listing shows. */
export interface ListJobsOptions {
  status?: JobStatus;
  type?: string;
  limit?: number;
}

/** Jobs across all orgs, newest update first, filtered by status and type. */
export async function listJobs(
  options: ListJobsOptions = {},
): Promise<BfRow[]> {
  if (options.status !== undefined && !JOB_STATUSES.includes(options.status)) {
    throw new TypeError(
      `listJobs: status must be one of ${JOB_STATUSES.join(", ")}, got ${
        JSON.stringify(options.status)
      }`,
    );
  }
  return await bfDb.query<BfRow>(
    `SELECT ${BF_COLUMNS} FROM bfdb
     WHERE class_name = $1
       AND ($2::text IS NULL OR props->>'status' = $2::text)
       AND ($3::text IS NULL OR props->>'type' = $3::text)
     ORDER BY last_updated DESC, bf_gid DESC
     LIMIT $4`,
    [
      JOB_CLASS_NAME,
      options.status ?? null,
      options.type ?? null,
      options.limit ?? 100,
    ],
  );
}

/** One job by id across all orgs (operator view), or null. */
export async function getJob(id: string): Promise<BfRow | null> {
  const rows = await bfDb.query<BfRow>(
    `SELECT ${BF_COLUMNS} FROM bfdb WHERE class_name = $1 AND bf_gid = $2`,
    [JOB_CLASS_NAME, id],
  );
  return rows[0] ?? null;
}
