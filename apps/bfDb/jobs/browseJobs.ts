/**
 * Jobs for people to page through (the dashboard's job list): filtered by status, type, queue,
 * org and a text match on payload or error, newest first, paged by keyset on `bf_gid`. Minted
 * ids are UUIDv7, so id order is creation order, and every part of the job tables has an index
 * on `bf_gid`: a page reads its rows from the top of those indexes instead of counting past an
 * OFFSET, and costs the same on page 1 and page 10,000.
 *
 * @module
 */
import { bfDb } from "../bfDb.ts";
import { JOB_STATUSES, JOB_TABLE_OF, type JobStatus } from "./jobStates.ts";
import type { JobTransition } from "./jobStates.ts";

/** The transitions this file's SQL performs: none (it only reads). */
export const performs: readonly JobTransition[] = [];

/** Which jobs a page shows. Every field is optional; absent or empty means "any". */
export interface JobBrowseFilter {
  status?: JobStatus;
  type?: string;
  queue?: string;
  org?: string;
  /** Case-insensitive substring of the payload's JSON text or of the last error. */
  text?: string;
  /** Keyset: jobs older than this id (the next page). */
  before?: string;
  /** Keyset: jobs newer than this id (the previous page). */
  after?: string;
  /** Jobs per page, 1-200; default 50. */
  limit?: number;
}

/** One job as a list shows it. */
export interface JobListItem {
  id: string;
  org: string;
  type: string;
  queue: string;
  status: JobStatus;
  attempts: number;
  maxAttempts: number;
  priority: number;
  runAt: string;
  createdAt: string;
  finishedAt: string | null;
  workerId: string | null;
  error: string | null;
}

/** One page of jobs and the keys of the pages beside it (null: no such page). */
export interface JobPage {
  jobs: JobListItem[];
  /** Pass as `before` for the next (older) page. */
  older: string | null;
  /** Pass as `after` for the previous (newer) page. */
  newer: string | null;
}

/** The longest text a filter field may hold: longer ones are refused, not truncated. */
export const MAX_FILTER_LENGTH = 200;

/** Jobs on one page when no limit is given. */
export const DEFAULT_PAGE_SIZE = 50;

/** `text` with LIKE's wildcards escaped, so it matches itself. */
function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

function checkText(field: string, value: unknown): string | undefined {
  if (value === undefined || value === "") return undefined;
  if (typeof value !== "string") {
    throw new TypeError(`${field} must be a string`);
  }
  if (value.length > MAX_FILTER_LENGTH || value.includes("\0")) {
    throw new TypeError(
      `${field} must be at most ${MAX_FILTER_LENGTH} characters, without NUL`,
    );
  }
  return value;
}

/** Checks a filter from untrusted input; a bad field is a TypeError naming it. */
export function checkJobBrowseFilter(filter: JobBrowseFilter): JobBrowseFilter {
  const status = checkText("status", filter.status);
  if (status !== undefined && !JOB_STATUSES.includes(status as JobStatus)) {
    throw new TypeError(`status must be one of ${JOB_STATUSES.join(", ")}`);
  }
  const limit = filter.limit ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(limit) || limit < 1 || limit > 200) {
    throw new TypeError("limit must be a whole number from 1 to 200");
  }
  const before = checkText("before", filter.before);
  const after = checkText("after", filter.after);
  if (before !== undefined && after !== undefined) {
    throw new TypeError("give before or after, not both");
  }
  return {
    status: status as JobStatus | undefined,
    type: checkText("type", filter.type),
    queue: checkText("queue", filter.queue),
    org: checkText("org", filter.org),
    text: checkText("text", filter.text),
    before,
    after,
    limit,
  };
}

interface ItemRow {
  id: string;
  org: string;
  type: string;
  queue: string;
  status: JobStatus;
  attempts: number;
  max_attempts: number;
  priority: number;
  run_at: string;
  created_at: string;
  finished_at: string | null;
  worker_id: string | null;
  error: string | null;
}

/**
 * One page of jobs matching `filter`, newest first.
 *
 * @example
 * ```ts
 * const first = await browseJobs({ status: "failed", type: "track_usage" });
 * const second = first.older
 *   ? await browseJobs({ status: "failed", type: "track_usage", before: first.older })
 *   : null;
 * ```
 */
export async function browseJobs(
  filter: JobBrowseFilter = {},
): Promise<JobPage> {
  const f = checkJobBrowseFilter(filter);
  const limit = f.limit!;
  // A status names its table, so a list of one status reads only that part.
  const relation = f.status ? JOB_TABLE_OF[f.status] : "bfdb_jobs";
  const params: unknown[] = [];
  const where: string[] = [];
  const bind = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  // Only the conditions in use are written, so the planner sees each as it is (a generic
  // `$1 IS NULL OR ...` would hide the keyset bound from the index).
  if (f.status) where.push(`j.status = ${bind(f.status)}`);
  if (f.type) where.push(`j.type = ${bind(f.type)}`);
  if (f.queue) where.push(`j.queue = ${bind(f.queue)}`);
  if (f.org) where.push(`j.bf_oid = ${bind(f.org)}`);
  if (f.text) {
    const pattern = bind(likePattern(f.text));
    where.push(
      `(j.payload::text ILIKE ${pattern} OR j.error ILIKE ${pattern})`,
    );
  }
  if (f.before) where.push(`j.bf_gid < ${bind(f.before)}`);
  if (f.after) where.push(`j.bf_gid > ${bind(f.after)}`);
  // Newer pages walk the index upwards from `after`, then read back in display order.
  const direction = f.after ? "ASC" : "DESC";
  const rows = await bfDb.query<ItemRow>(
    `SELECT j.bf_gid AS id, j.bf_oid AS org, j.type, j.queue, j.status, j.attempts,
            j.max_attempts, j.priority, bfdb_iso(j.run_at) AS run_at,
            bfdb_iso(j.created_at) AS created_at, bfdb_iso(j.finished_at) AS finished_at,
            j.worker_id, j.error
     FROM ${relation} j
     ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
     ORDER BY j.bf_gid ${direction}
     LIMIT ${bind(limit + 1)}`,
    params,
  );
  const more = rows.length > limit;
  const page = rows.slice(0, limit);
  if (f.after) page.reverse();
  const jobs = page.map((r): JobListItem => ({
    id: r.id,
    org: r.org,
    type: r.type,
    queue: r.queue,
    status: r.status,
    attempts: Number(r.attempts),
    maxAttempts: Number(r.max_attempts),
    priority: Number(r.priority),
    runAt: r.run_at,
    createdAt: r.created_at,
    finishedAt: r.finished_at,
    workerId: r.worker_id,
    error: r.error,
  }));
  const first = jobs[0]?.id ?? null;
  const last = jobs.at(-1)?.id ?? null;
  return {
    jobs,
    // Going back (after) there is always an older page: the one we came from.
    older: f.after ? last : (more ? last : null),
    newer: f.after ? (more ? first : null) : (f.before ? first : null),
  };
}
