import type { BfRow } from "../classes/nodeRow.ts";
import { JOB_CLASS_NAME } from "./jobStates.ts";

/** A job row as the job tables hold it, instants already in the sortable ISO form. */
export interface JobColumns {
  bf_gid: string;
  bf_oid: string;
  bf_cid: string;
  type: string;
  queue: string;
  status: string;
  priority: number;
  run_at: string;
  attempts: number;
  max_attempts: number;
  worker_id: string | null;
  locked_until: string | null;
  started_at: string | null;
  finished_at: string | null;
  cancelled_at: string | null;
  payload: unknown;
  error: string | null;
  errors: unknown[] | null;
  extra: Record<string, unknown> | null;
  sort_value: number | string;
  created_at: Date | string;
  last_updated: Date | string;
}

/**
 * The select list that reads a job row of table alias `a` as {@linkcode JobColumns}: instants
 * go out as ISO text, so the client neither parses nor reformats them.
 */
export function jobColumnsOf(a: string): string {
  return `${a}.bf_gid, ${a}.bf_oid, ${a}.bf_cid, ${a}.type, ${a}.queue, ${a}.status,
    ${a}.priority, bfdb_iso(${a}.run_at) AS run_at, ${a}.attempts, ${a}.max_attempts,
    ${a}.worker_id, bfdb_iso(${a}.locked_until) AS locked_until,
    bfdb_iso(${a}.started_at) AS started_at, bfdb_iso(${a}.finished_at) AS finished_at,
    bfdb_iso(${a}.cancelled_at) AS cancelled_at, ${a}.payload, ${a}.error, ${a}.errors,
    ${a}.extra, ${a}.sort_value, ${a}.created_at, ${a}.last_updated`;
}

/**
 * A job row as a `bfdb` row: the props BfJob knows, built here from the columns exactly as the
 * `bfdb_job_rows` view builds them in SQL (absent fields left out).
 */
export function jobRowFromColumns(c: JobColumns): BfRow {
  const props: Record<string, unknown> = {
    type: c.type,
    payload: c.payload,
    status: c.status,
    attempts: c.attempts,
    maxAttempts: c.max_attempts,
    runAt: c.run_at,
    priority: c.priority,
    queue: c.queue,
    errors: c.errors ?? [],
  };
  if (c.error !== null) props.error = c.error;
  if (c.worker_id !== null) props.workerId = c.worker_id;
  if (c.locked_until !== null) props.lockedUntil = c.locked_until;
  if (c.started_at !== null) props.startedAt = c.started_at;
  if (c.finished_at !== null) props.finishedAt = c.finished_at;
  if (c.cancelled_at !== null) props.cancelledAt = c.cancelled_at;
  if (c.extra) Object.assign(props, c.extra);
  return {
    bf_gid: c.bf_gid,
    bf_oid: c.bf_oid,
    bf_cid: c.bf_cid,
    bf_sid: null,
    bf_tid: null,
    bf_s_class_name: null,
    bf_t_class_name: null,
    class_name: JOB_CLASS_NAME,
    props,
    sort_value: c.sort_value,
    created_at: c.created_at,
    last_updated: c.last_updated,
  };
}

/**
 * The columns every move of a job row between the job tables copies, in table order, with
 * `overrides` (column name to SQL expression on alias `m`) for what the move changes.
 */
export function movedColumns(overrides: Record<string, string>): string {
  return JOB_TABLE_COLUMNS.map((c) => overrides[c] ?? `m.${c}`).join(", ");
}

/** The columns of every job table, in order. */
export const JOB_TABLE_COLUMNS = [
  "bf_gid",
  "bf_oid",
  "bf_cid",
  "type",
  "queue",
  "status",
  "priority",
  "run_at",
  "attempts",
  "max_attempts",
  "worker_id",
  "locked_until",
  "started_at",
  "finished_at",
  "cancelled_at",
  "payload",
  "error",
  "errors",
  "extra",
  "sort_value",
  "created_at",
  "last_updated",
] as const;
