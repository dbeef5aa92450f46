import { bfDb } from "../bfDb.ts";
import { BF_COLUMNS, type BfRow } from "../classes/nodeRow.ts";

/** What to claim and how long to hold it. */
export interface ClaimJobsOptions {
  /** Only these job types; all types when absent. */
  types?: readonly string[];
  /** At most this many jobs (default 1). */
  limit?: number;
  /** Lease length in milliseconds (default 30 s). */
  leaseMs?: number;
  /** Go straight to `running` (claimAndStart) instead of `claimed`, saving a write per job. */
  start?: boolean;
  /**
   * Like `start`, for only the first `startCount` jobs in claim order; the rest stay `claimed`
   * (a worker's local buffer). Overrides `start` when given.
   */
  startCount?: number;
}

/** The default lease: a worker that does not heartbeat within it is presumed dead. */
export const DEFAULT_LEASE_MS = 30_000;

/** One statement and its bound parameters; nothing but the SQL text is ever spliced. */
export interface SqlQuery {
  text: string;
  params: unknown[];
}

/**
 * The claim statement for `workerId` and `options`, exactly as `claimJobs` runs it (exported so
 * tests and operators can EXPLAIN it), or null when `types` is empty and nothing can match.
 */
export function claimJobsQuery(
  workerId: string,
  options: ClaimJobsOptions = {},
): SqlQuery | null {
  const limit = options.limit ?? 1;
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  if (
    typeof workerId !== "string" || workerId.length === 0 ||
    !workerId.isWellFormed()
  ) {
    throw new TypeError(
      "claimJobs: workerId must be a non-empty, well-formed string",
    );
  }
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
    throw new RangeError(
      `claimJobs: limit must be an integer from 1 to 10000, got ${limit}`,
    );
  }
  if (!Number.isInteger(leaseMs) || leaseMs < 1 || leaseMs > 86_400_000) {
    throw new RangeError(
      `claimJobs: leaseMs must be an integer from 1 to 86400000, got ${leaseMs}`,
    );
  }
  const types = options.types ? [...options.types] : null;
  if (types && types.length === 0) return null;
  const startCount = options.startCount ?? (options.start === true ? limit : 0);
  if (!Number.isInteger(startCount) || startCount < 0) {
    throw new RangeError(
      `claimJobs: startCount must be a whole number, got ${startCount}`,
    );
  }
  return {
    text: CLAIM_JOBS_SQL,
    params: [
      types,
      limit,
      workerId,
      leaseMs,
      startCount,
    ],
  };
}

const CLAIM_COLUMNS = BF_COLUMNS.split(", ").map((c) => `j.${c}`).join(", ");

/**
 * The claim: pick with FOR UPDATE SKIP LOCKED, mark claimed by $3 with a lease of $4 ms, count
 * the attempt, return the rows. $1 types or null, $2 limit, $5 how many (in claim order) go
 * straight to running.
 * The class and status are literals, not parameters, so that every plan, including the generic
 * plan PostgreSQL switches prepared statements to, can prove the `bfdb_jobs_available` partial
 * index's predicate (`class_name = $1` cannot: its value is unknown when a generic plan is made).
 */
export const CLAIM_JOBS_SQL = `WITH locked AS MATERIALIZED (
       SELECT bf_gid, ((props->>'priority')::int) AS priority, props->>'runAt' AS run_at
       FROM bfdb
       WHERE class_name = 'BfJob'
         AND props->>'status' = 'available'
         AND props->>'runAt' <= bfdb_iso(now())
         AND ($1::text[] IS NULL OR props->>'type' = ANY($1::text[]))
       ORDER BY ((props->>'priority')::int) DESC, (props->>'runAt'), bf_gid
       LIMIT $2
       FOR UPDATE SKIP LOCKED
     ), picked AS (
       SELECT bf_gid, row_number() OVER (ORDER BY priority DESC, run_at, bf_gid) AS n
       FROM locked
     )
     UPDATE bfdb j SET
       props = j.props || jsonb_build_object(
         'status', CASE WHEN picked.n <= $5::int THEN 'running' ELSE 'claimed' END,
         'workerId', $3::text,
         'attempts', (j.props->>'attempts')::int + 1,
         'lockedUntil', bfdb_iso(now() + $4::int * interval '1 millisecond')
       ) || CASE WHEN picked.n <= $5::int THEN jsonb_build_object('startedAt', bfdb_iso(now()))
                 ELSE '{}'::jsonb END,
       last_updated = now()
     FROM picked
     WHERE j.bf_gid = picked.bf_gid
     RETURNING ${CLAIM_COLUMNS}`;

/**
 * Claims up to `limit` available jobs whose `runAt` has passed, highest priority first, then
 * oldest, in one statement: pick with FOR UPDATE SKIP LOCKED, mark claimed by `workerId` with a
 * lease, count the attempt, return the rows. Served by the `bfdb_jobs_available` partial index.
 */
export async function claimJobs(
  workerId: string,
  options: ClaimJobsOptions = {},
): Promise<BfRow[]> {
  const query = claimJobsQuery(workerId, options);
  if (!query) return [];
  return await bfDb.query<BfRow>(query.text, query.params);
}
