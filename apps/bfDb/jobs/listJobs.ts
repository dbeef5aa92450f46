import { bfDb } from "../bfDb.ts";
import type { BfRow } from "../classes/nodeRow.ts";
import {
  type JobColumns,
  jobColumnsOf,
  jobRowFromColumns,
} from "./jobColumns.ts";
import {
  JOB_STATUSES,
  JOB_TABLE_OF,
  type JobStatus,
  type JobTransition,
} from "./jobStates.ts";

/** The transitions this file's SQL performs: none (it only reads). */
export const performs: readonly JobTransition[] = [];

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
  // A status names its table, so a listing of one status reads only that part.
  const relation = options.status ? JOB_TABLE_OF[options.status] : "bfdb_jobs";
  const rows = await bfDb.query<JobColumns>(
    `SELECT ${jobColumnsOf("j")} FROM ${relation} j
     WHERE ($1::text IS NULL OR j.status = $1::text)
       AND ($2::text IS NULL OR j.type = $2::text)
     ORDER BY j.last_updated DESC, j.bf_gid DESC
     LIMIT $3`,
    [options.status ?? null, options.type ?? null, options.limit ?? 100],
  );
  return rows.map(jobRowFromColumns);
}

/** One job by id across all orgs (operator view), or null. */
export async function getJob(id: string): Promise<BfRow | null> {
  const rows = await bfDb.query<JobColumns>(
    `SELECT ${jobColumnsOf("j")} FROM bfdb_jobs j WHERE j.bf_gid = $1`,
    [id],
  );
  return rows[0] ? jobRowFromColumns(rows[0]) : null;
}
