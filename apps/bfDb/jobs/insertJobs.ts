import { bfDb } from "../bfDb.ts";
import { BF_COLUMNS, type BfRow } from "../classes/nodeRow.ts";
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
  const columns = BF_COLUMNS.split(", ").map((c) => `inserted.${c}`).join(", ");
  return await bfDb.query<BfRow>(
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
       RETURNING ${BF_COLUMNS}
     )
     SELECT ${columns}, pg_notify($5, inserted.props->>'type') IS NULL AS notified
     FROM inserted`,
    [JSON.stringify(jobs), orgId, creatorId, JOB_CLASS_NAME, JOB_CHANNEL],
  );
}
