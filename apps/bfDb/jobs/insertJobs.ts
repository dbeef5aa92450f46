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
  // Only what the database decides comes back (runAt, timestamps): the props are already known,
  // and sending them back would double the bytes and the JSON parsing of a large batch.
  const inserted = await bfDb.query<InsertedJob>(
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
       RETURNING bf_gid, props->>'runAt' AS run_at, props->>'type' AS type, created_at, last_updated
     ), notified AS (
       SELECT pg_notify($5, type) FROM (SELECT DISTINCT type FROM inserted) AS types
     )
     SELECT bf_gid, run_at, created_at, last_updated, (SELECT count(*) FROM notified) AS notified
     FROM inserted`,
    [JSON.stringify(jobs), orgId, creatorId, JOB_CLASS_NAME, JOB_CHANNEL],
  );
  const byId = new Map(jobs.map((job) => [job.bfGid, job]));
  return inserted.map((row) => {
    const job = byId.get(row.bf_gid)!;
    return {
      bf_gid: row.bf_gid,
      bf_oid: orgId,
      bf_cid: creatorId,
      bf_sid: null,
      bf_tid: null,
      bf_s_class_name: null,
      bf_t_class_name: null,
      class_name: JOB_CLASS_NAME,
      props: { ...job.props, runAt: row.run_at },
      sort_value: job.sortValue,
      created_at: row.created_at,
      last_updated: row.last_updated,
    };
  });
}

interface InsertedJob {
  bf_gid: string;
  run_at: string;
  created_at: Date | string;
  last_updated: Date | string;
}
