import { bfDb } from "../bfDb.ts";
import type { BfRow } from "../classes/nodeRow.ts";
import { JOB_CHANNEL, JOB_CLASS_NAME } from "./jobStates.ts";

/** One job row to insert: its id, sort value and validated props (runAt may be absent). */
export interface JobInsert {
  bfGid: string;
  sortValue: number;
  props: Record<string, unknown>;
}

/**
 * Inserts jobs for one org in one statement and notifies workers on the job channel.
 * A missing `runAt` becomes the database's now, so workers on skewed clocks agree.
 * Inside a transaction the NOTIFY is delivered at commit, and never on rollback.
 * With `skipExisting`, ids already present are left alone and not returned.
 */
export async function insertJobs(
  orgId: string,
  creatorId: string,
  jobs: readonly JobInsert[],
  options: { skipExisting?: boolean } = {},
): Promise<BfRow[]> {
  if (jobs.length === 0) return [];
  // One row comes back, not one per job: every row of one INSERT gets the same created_at and
  // last_updated (the transaction's now) and, when not given, the same runAt, and the props are
  // already known. Parsing 1,000 result rows was a visible share of a batch's client time.
  const [result] = await bfDb.query<InsertResult>(
    `WITH input AS (
       SELECT item->>'bfGid' AS bf_gid, (item->>'sortValue')::bigint AS sort_value,
              item->'props' AS props, n
       FROM jsonb_array_elements($1::text::jsonb) WITH ORDINALITY AS t(item, n)
     ), inserted AS (
       INSERT INTO bfdb (bf_gid, bf_oid, bf_cid, class_name, props, sort_value)
       SELECT bf_gid, $2, $3, $4,
              CASE WHEN props ? 'runAt' THEN props
                   ELSE props || jsonb_build_object('runAt', bfdb_iso(now())) END,
              sort_value
       FROM input ORDER BY n
       ${options.skipExisting ? "ON CONFLICT (bf_gid) DO NOTHING" : ""}
       RETURNING bf_gid, props->>'type' AS type
     ), notified AS (
       SELECT pg_notify($5, type) FROM (SELECT DISTINCT type FROM inserted) AS types
     )
     SELECT now() AS created_at, bfdb_iso(now()) AS default_run_at,
            ${
      options.skipExisting
        ? "(SELECT COALESCE(array_agg(bf_gid), '{}') FROM inserted)"
        : "NULL::text[]"
    } AS inserted_ids,
            (SELECT count(*) FROM notified) AS notified`,
    [JSON.stringify(jobs), orgId, creatorId, JOB_CLASS_NAME, JOB_CHANNEL],
  );
  const insertedIds = result.inserted_ids ? new Set(result.inserted_ids) : null;
  return jobs.filter((job) => !insertedIds || insertedIds.has(job.bfGid)).map((
    job,
  ) => ({
    bf_gid: job.bfGid,
    bf_oid: orgId,
    bf_cid: creatorId,
    bf_sid: null,
    bf_tid: null,
    bf_s_class_name: null,
    bf_t_class_name: null,
    class_name: JOB_CLASS_NAME,
    props: { ...job.props, runAt: job.props.runAt ?? result.default_run_at },
    sort_value: job.sortValue,
    created_at: result.created_at,
    last_updated: result.created_at,
  }));
}

interface InsertResult {
  created_at: Date | string;
  default_run_at: string;
  inserted_ids: string[] | null;
}
