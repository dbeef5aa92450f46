import { bfDb } from "../bfDb.ts";
import type { BfRow } from "../classes/nodeRow.ts";
import {
  type JobColumns,
  jobColumnsOf,
  jobRowFromColumns,
} from "./jobColumns.ts";
import type { JobTransition } from "./jobStates.ts";

/** The transitions this file's SQL performs. */
export const performs: readonly JobTransition[] = ["claim", "claimAndStart"];

/** What to claim and how long to hold it. */
export interface ClaimJobsOptions {
  /** Only these job types; all types when absent. */
  types?: readonly string[];
  /** Only from these queues; default `["default"]`. */
  queues?: readonly string[];
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
  /**
   * The claim of a queue with settings (`bfdb_job_queues`, see `claimManagedQueue`): the
   * statement takes the queue's row lock and the room its limits leave first. Without it, a
   * claim takes nothing from a queue that has settings.
   */
  managed?: boolean;
  /**
   * With `managed`, the claim of a queue with `fairByOrg` on: orgs take turns
   * (`bfdb_job_fair_pick`, migration 008) instead of claim order across the whole queue.
   */
  fair?: boolean;
}

/** The default lease: a worker that does not heartbeat within it is presumed dead. */
export const DEFAULT_LEASE_MS = 30_000;

/** The queue jobs go to when their producer names none. */
export const DEFAULT_QUEUE = "default";

/** One statement and its bound parameters; nothing but the SQL text is ever spliced. */
export interface SqlQuery {
  text: string;
  params: unknown[];
}

/**
 * The claimed rows, in claim order, updated (shared by both claim statements); `now` is the
 * instant the claim happens at (the statement's, or a managed queue's start instant).
 */
function claimUpdate(now: string): string {
  return `UPDATE bfdb_jobs_active j SET
       status = CASE WHEN picked.n <= $5::int THEN 'running' ELSE 'claimed' END,
       worker_id = $3::text,
       attempts = j.attempts + 1,
       locked_until = ${now} + $4::int * interval '1 millisecond',
       started_at = CASE WHEN picked.n <= $5::int THEN ${now} END,
       last_updated = ${now}
     FROM picked
     -- The picked rows are locked by this statement, so their tuple ids hold still: every plan,
     -- generic ones included, fetches them directly (a TID scan), with no key comparison at all.
     WHERE j.ctid = ANY(ARRAY(SELECT tid FROM picked)) AND j.ctid = picked.tid
     RETURNING ${jobColumnsOf("j")}, picked.n`;
}

/** A queue with settings is claimed only by `claimManagedQueue`, under its lock. */
const UNMANAGED = (queue: string) =>
  `NOT EXISTS (SELECT 1 FROM bfdb_job_queues mq WHERE mq.queue = ${queue})`;

/**
 * A managed queue's claim (one statement): `room` calls `bfdb_job_queue_room` (migration 007),
 * which locks the queue's settings row and counts, in snapshots of its own taken after the
 * lock, what is in flight and what started in the rate window; `ctes` then pick at most that
 * many; the claim counts them as started at the instant `room` read, and records those starts.
 * The answer is one row: what held the claim back, and the claimed rows as JSON.
 */
function managedClaimSql(queue: string, ctes: string, fair = false): string {
  return `WITH room AS MATERIALIZED (
       SELECT * FROM bfdb_job_queue_room(${queue}, $6::int)
     ), ${ctes}, claimed AS (
       ${claimUpdate("(SELECT at FROM room)")}
     ), recorded AS (
       UPDATE bfdb_job_queues q SET
         recent_starts = CASE WHEN q.rate_count IS NULL THEN q.recent_starts ELSE ARRAY(
           SELECT t FROM unnest(q.recent_starts) t
           WHERE t > (SELECT at FROM room) - q.rate_period_ms * interval '1 millisecond'
           UNION ALL
           SELECT (SELECT at FROM room)
           FROM generate_series(1, (SELECT count(*) FROM claimed)::int)
         ) END,
         fair_cursor = ${
    fair ? "(SELECT max(next_cursor) FROM picked)" : "q.fair_cursor"
  }
       WHERE q.queue = ${queue} AND (q.rate_count IS NOT NULL OR ${
    fair ? "TRUE" : "FALSE"
  }) AND EXISTS (SELECT 1 FROM claimed)
       RETURNING 1
     )
     SELECT (SELECT held_back FROM room) AS held_back,
            (SELECT count(*) FROM recorded) AS recorded,
            COALESCE((SELECT json_agg(c) FROM claimed c), '[]'::json) AS jobs`;
}

/**
 * The fair claim of one queue ($1) for types $2 (see `bfdb_job_fair_pick`, migration 008): the
 * pick runs after `room` took the queue's lock, and the queue's cursor moves to where it ended.
 */
const FAIR_CLAIM_SQL = managedClaimSql(
  "$1::text",
  `picked AS MATERIALIZED (
       SELECT tid, n, next_cursor
       FROM bfdb_job_fair_pick($1::text, $2::text[], LEAST($6::int, (SELECT room FROM room)))
     )`,
  true,
);

/**
 * The claim for one (queue, type) pair, the common case: one range of the
 * `bfdb_jobs_available` index, read in claim order and locked as it is read. $1 queue, $2 type,
 * $3 worker, $4 lease ms, $5 how many (in claim order) go straight to running, $6 limit.
 */
function claimOneKindSql(managed: boolean): string {
  const limit = managed ? "LEAST($6::int, (SELECT room FROM room))" : "$6";
  const picked = `picked AS MATERIALIZED (
       SELECT tid, row_number() OVER (ORDER BY priority DESC, run_at, bf_gid) AS n
       FROM (
         SELECT ctid AS tid, bf_gid, priority, run_at FROM bfdb_jobs_active
         WHERE status = 'available' AND queue = $1::text AND type = $2::text AND run_at <= now()
           AND ${managed ? "TRUE" : UNMANAGED("$1::text")}
         ORDER BY priority DESC, run_at, bf_gid
         LIMIT ${limit}
         FOR UPDATE SKIP LOCKED
       ) l
     )`;
  return managed ? managedClaimSql("$1::text", picked) : `WITH ${picked}
     ${claimUpdate("now()")}`;
}

/** The plain claim of one (queue, type) pair (see {@linkcode claimOneKindSql}). */
export const CLAIM_ONE_KIND_SQL: string = claimOneKindSql(false);

/**
 * The claim for several (queue, type) pairs ($1 queues and $2 types, pairwise). It first looks,
 * without locking, at the best `limit` waiting jobs of each pair to learn how many of the
 * overall best `limit` each pair holds, then locks that many of each in claim order, skipping
 * rows other claimers hold. So it reads only the index ranges it can take from, locks no more
 * rows than it claims, and keeps priority order across types. $3 worker, $4 lease ms, $5 how
 * many go straight to running, $6 limit.
 */
function claimKindsSql(managed: boolean): string {
  const limit = managed ? "LEAST($6::int, (SELECT room FROM room))" : "$6";
  const ctes = `kinds AS (
       SELECT * FROM unnest($1::text[], $2::text[]) AS k(queue, type)
     ), peek AS MATERIALIZED (
       SELECT p.queue, p.type FROM kinds
       CROSS JOIN LATERAL (
         SELECT queue, type, priority, run_at, bf_gid FROM bfdb_jobs_active
         WHERE status = 'available' AND queue = kinds.queue AND type = kinds.type
           AND run_at <= now() AND ${
    managed ? "TRUE" : UNMANAGED("kinds.queue")
  }
         ORDER BY priority DESC, run_at, bf_gid
         LIMIT ${limit}
       ) p
       ORDER BY p.priority DESC, p.run_at, p.bf_gid
       LIMIT ${limit}
     ), quota AS (
       SELECT queue, type, count(*) AS n FROM peek GROUP BY queue, type
     ), locked AS MATERIALIZED (
       SELECT l.tid, l.bf_gid, l.priority, l.run_at FROM quota
       CROSS JOIN LATERAL (
         SELECT ctid AS tid, bf_gid, priority, run_at FROM bfdb_jobs_active
         WHERE status = 'available' AND queue = quota.queue AND type = quota.type
           AND run_at <= now()
         ORDER BY priority DESC, run_at, bf_gid
         LIMIT quota.n
         FOR UPDATE SKIP LOCKED
       ) l
     ), picked AS (
       SELECT tid, row_number() OVER (ORDER BY priority DESC, run_at, bf_gid) AS n
       FROM locked
     )`;
  return managed ? managedClaimSql("($1::text[])[1]", ctes) : `WITH ${ctes}
     ${claimUpdate("now()")}`;
}

/** The plain claim of several (queue, type) pairs (see {@linkcode claimKindsSql}). */
export const CLAIM_KINDS_SQL: string = claimKindsSql(false);

/**
 * The claim of every (queue, type) pair in `queues` × `types`; without `types`, of every type
 * waiting in those queues (looked up when the claim is built).
 */
async function kindsToClaim(
  options: ClaimJobsOptions,
): Promise<{ queue: string; type: string }[]> {
  const queues = options.queues ? [...options.queues] : [DEFAULT_QUEUE];
  if (options.types) {
    return queues.flatMap((queue) =>
      options.types!.map((type) => ({ queue, type }))
    );
  }
  return await bfDb.query<{ queue: string; type: string }>(
    `SELECT DISTINCT queue, type FROM bfdb_jobs_active
     WHERE status = 'available' AND queue = ANY($1::text[])`,
    [queues],
  );
}

/** The most queues {@linkcode waitingQueues} lists. */
export const MAX_DISCOVERED_QUEUES = 1000;

/**
 * The queues that have jobs waiting, by name: one index probe per queue (a skip scan of
 * `bfdb_jobs_available`), so it costs the same whatever the number of waiting jobs.
 */
export async function waitingQueues(): Promise<string[]> {
  const rows = await bfDb.query<{ queue: string }>(
    `WITH RECURSIVE q(queue, n) AS (
       SELECT (SELECT min(queue) FROM bfdb_jobs_active WHERE status = 'available'), 1
       UNION ALL
       SELECT (SELECT min(j.queue) FROM bfdb_jobs_active j
               WHERE j.status = 'available' AND j.queue > q.queue), q.n + 1
       FROM q WHERE q.queue IS NOT NULL AND q.n < $1::int
     )
     SELECT queue FROM q WHERE queue IS NOT NULL ORDER BY queue`,
    [MAX_DISCOVERED_QUEUES],
  );
  return rows.map((row) => row.queue);
}

/**
 * The claim statement for `workerId` and these (queue, type) `kinds`, exactly as `claimJobs`
 * runs it (exported so tests and operators can EXPLAIN it), or null when nothing can match.
 */
export function claimJobsQuery(
  workerId: string,
  kinds: readonly { queue: string; type: string }[],
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
  const startCount = options.startCount ?? (options.start === true ? limit : 0);
  if (!Number.isInteger(startCount) || startCount < 0) {
    throw new RangeError(
      `claimJobs: startCount must be a whole number, got ${startCount}`,
    );
  }
  if (kinds.length === 0) return null;
  const managed = options.managed === true;
  if (managed && options.fair === true) {
    const queues = new Set(kinds.map((k) => k.queue));
    if (queues.size !== 1) {
      throw new RangeError("claimJobs: a fair claim is of one queue");
    }
    return {
      text: FAIR_CLAIM_SQL,
      params: [
        kinds[0].queue,
        kinds.map((k) => k.type),
        workerId,
        leaseMs,
        startCount,
        limit,
      ],
    };
  }
  if (kinds.length === 1) {
    return {
      text: managed ? claimOneKindSql(true) : CLAIM_ONE_KIND_SQL,
      params: [
        kinds[0].queue,
        kinds[0].type,
        workerId,
        leaseMs,
        startCount,
        limit,
      ],
    };
  }
  return {
    text: managed ? claimKindsSql(true) : CLAIM_KINDS_SQL,
    params: [
      kinds.map((k) => k.queue),
      kinds.map((k) => k.type),
      workerId,
      leaseMs,
      startCount,
      limit,
    ],
  };
}

/**
 * Claims up to `limit` available jobs whose `runAt` has passed, highest priority first, then
 * oldest, in one statement: pick with FOR UPDATE SKIP LOCKED, mark claimed by `workerId` with a
 * lease, count the attempt, return the rows in claim order. Served by the
 * `bfdb_jobs_available` index, keyed by what the worker asks for (queue, type), so waiting jobs
 * of other types and queues, finished jobs and the graph's rows cost it nothing.
 */
export async function claimJobs(
  workerId: string,
  options: ClaimJobsOptions = {},
): Promise<BfRow[]> {
  const kinds = await kindsToClaim(options);
  const query = claimJobsQuery(workerId, kinds, options);
  if (!query) return [];
  const rows = await bfDb.query<JobColumns & { n: number | string }>(
    query.text,
    query.params,
  );
  rows.sort((a, b) => Number(a.n) - Number(b.n));
  return rows.map(jobRowFromColumns);
}
