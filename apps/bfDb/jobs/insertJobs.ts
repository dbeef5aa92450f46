import { bfDb } from "../bfDb.ts";
import type { BfRow } from "../classes/nodeRow.ts";
import { DEFAULT_QUEUE } from "./claimJobs.ts";
import { jobRowFromColumns } from "./jobColumns.ts";
import {
  JOB_CHANNEL,
  JOB_NOTICE_SQL,
  type JobTransition,
} from "./jobStates.ts";

/** The transitions this file's SQL performs: none (it creates jobs, `available`). */
export const performs: readonly JobTransition[] = [];

/** One job row to insert: its id, sort value and validated props (runAt may be absent). */
export interface JobInsert {
  bfGid: string;
  sortValue: number;
  props: Record<string, unknown>;
  /** Props kept in the row's `extra` (a unique job's key); none for a plain job. */
  extra?: Record<string, unknown>;
  /** With `keyed`: when the key may be forgotten (ISO-8601); absent keeps it for ever. */
  keyExpiresAt?: string;
}

/** The columns a new job row is written with, in the order both insert statements give them. */
export const NEW_JOB_COLUMNS =
  "bf_gid, bf_oid, bf_cid, type, queue, status, priority, run_at, max_attempts, payload, extra, sort_value";

/**
 * Inserts jobs for one org in one statement into `bfdb_jobs_active` and notifies workers on the
 * job channel, once per type. A missing `runAt` becomes the database's now, so workers on
 * skewed clocks agree. Inside a transaction the NOTIFY is delivered at commit, and never on
 * rollback. With `keyed`, each id is registered in `bfdb_job_keys` in the same statement, and
 * jobs whose id was registered before (whatever became of them) are left out of the insert and
 * of the result.
 */
export async function insertJobs(
  orgId: string,
  creatorId: string,
  jobs: readonly JobInsert[],
  options: { keyed?: boolean } = {},
): Promise<BfRow[]> {
  if (jobs.length === 0) return [];
  // Columns travel as parallel text arrays (cast in SQL, the one array type both drivers bind
  // alike): the server unnests them without parsing one JSON document per batch, and one row
  // comes back per statement, not one per job (every row of one
  // INSERT gets the same created_at and, when not given, the same runAt).
  const n = jobs.length;
  const ids = new Array<string>(n), types = new Array<string>(n);
  const queues = new Array<string>(n), priorities = new Array<string>(n);
  const runAts = new Array<string>(n), maxAttempts = new Array<string>(n);
  const payloads = new Array<string>(n), sortValues = new Array<string>(n);
  const extras = new Array<string>(n), keyExpiries = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    const { bfGid, props, sortValue, extra, keyExpiresAt } = jobs[i];
    ids[i] = bfGid;
    types[i] = props.type as string;
    queues[i] = (props.queue as string | undefined) ?? DEFAULT_QUEUE;
    priorities[i] = String(props.priority ?? 0);
    runAts[i] = (props.runAt as string | undefined) ?? "";
    maxAttempts[i] = String(props.maxAttempts ?? 3);
    payloads[i] = JSON.stringify(props.payload ?? null);
    sortValues[i] = String(sortValue);
    extras[i] = extra ? JSON.stringify(extra) : "";
    keyExpiries[i] = keyExpiresAt ?? "";
  }
  const params = [
    ids,
    types,
    queues,
    priorities,
    runAts,
    maxAttempts,
    payloads,
    sortValues,
    orgId,
    creatorId,
    JOB_CHANNEL,
    extras,
    keyExpiries,
  ];
  const source = options.keyed
    ? `input WHERE bf_gid IN (SELECT bf_gid FROM keys)`
    : `input`;
  const [result] = await bfDb.query<InsertResult>(
    `WITH input AS (
       SELECT bf_gid, type, queue, priority::int, run_at, max_attempts::int, payload,
              sort_value::bigint, NULLIF(extra, '')::jsonb AS extra,
              NULLIF(key_expires_at, '')::timestamptz AS key_expires_at
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                   $7::text[], $8::text[], $12::text[], $13::text[])
         AS t(bf_gid, type, queue, priority, run_at, max_attempts, payload, sort_value, extra,
              key_expires_at)
     ), ${
      options.keyed
        ? `keys AS (
       INSERT INTO bfdb_job_keys (bf_gid, expires_at) SELECT bf_gid, key_expires_at FROM input
       ON CONFLICT (bf_gid) DO NOTHING RETURNING bf_gid
     ), `
        : ""
    }inserted AS (
       INSERT INTO bfdb_jobs_active (${NEW_JOB_COLUMNS})
       SELECT bf_gid, $9, $10, type, queue, 'available', priority,
              COALESCE(NULLIF(run_at, '')::timestamptz, now()), max_attempts, payload::jsonb,
              extra, sort_value
       FROM ${source}
       RETURNING bf_gid, type, queue
     ), notified AS (
       SELECT pg_notify($11, ${JOB_NOTICE_SQL})
       FROM (SELECT DISTINCT type, queue FROM inserted) AS kinds
     )
     SELECT now() AS created_at, bfdb_iso(now()) AS default_run_at,
            ${
      options.keyed
        ? "(SELECT COALESCE(array_agg(bf_gid), '{}') FROM inserted)"
        : "NULL::text[]"
    } AS inserted_ids,
            (SELECT count(*) FROM notified) AS notified`,
    params,
  );
  const insertedIds = result.inserted_ids ? new Set(result.inserted_ids) : null;
  return jobs.filter((job) => !insertedIds || insertedIds.has(job.bfGid)).map((
    job,
  ) =>
    jobRowFromColumns({
      bf_gid: job.bfGid,
      bf_oid: orgId,
      bf_cid: creatorId,
      type: job.props.type as string,
      queue: (job.props.queue as string | undefined) ?? DEFAULT_QUEUE,
      status: "available",
      priority: (job.props.priority as number | undefined) ?? 0,
      run_at: (job.props.runAt as string | undefined) ?? result.default_run_at,
      attempts: 0,
      max_attempts: (job.props.maxAttempts as number | undefined) ?? 3,
      worker_id: null,
      locked_until: null,
      started_at: null,
      finished_at: null,
      cancelled_at: null,
      payload: job.props.payload ?? null,
      error: null,
      errors: null,
      extra: job.extra ?? null,
      sort_value: job.sortValue,
      created_at: result.created_at,
      last_updated: result.created_at,
    })
  );
}

interface InsertResult {
  created_at: Date | string;
  default_run_at: string;
  inserted_ids: string[] | null;
}
