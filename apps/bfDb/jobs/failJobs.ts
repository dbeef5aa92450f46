import { bfDb } from "../bfDb.ts";
import { retryDelaySql } from "./backoff.ts";
import { heldInput, type HeldJob } from "./fencing.ts";
import { movedColumns } from "./jobColumns.ts";
import type { JobTransition } from "./jobStates.ts";
import { extraBackToWaiting } from "./uniqueJobs.ts";

/** The transitions this file's SQL performs. */
export const performs: readonly JobTransition[] = ["retry", "deadLetter"];

/** A failed attempt: why, whether retrying can help, and (optionally) when to retry. */
export interface JobFailure extends HeldJob {
  error: string;
  permanent?: boolean;
  /** Wait this long before the retry; absent: the queue's exponential backoff. */
  retryDelayMs?: number;
}

/** What a failure did to one job. */
export interface FailOutcome {
  id: string;
  status: "available" | "failed";
}

/** Longest wait before a retry (one year); longer delays are cut to it. */
export const MAX_RETRY_DELAY_MS = 365 * 24 * 3_600_000;

/** Longest error text kept per attempt; handlers can throw huge messages. */
export const MAX_ERROR_LENGTH = 4_000;

/**
 * Error text as a job stores it: no NUL (text cannot hold one), no lone UTF-16 surrogate (jsonb
 * rejects one, which would make the whole settle fail), at most MAX_ERROR_LENGTH code units
 * without cutting a surrogate pair in half.
 */
export function storableErrorText(error: string): string {
  const text = String(error).replaceAll("\u0000", "").toWellFormed();
  if (text.length <= MAX_ERROR_LENGTH) return text;
  const cut = text.slice(0, MAX_ERROR_LENGTH);
  return /[\ud800-\udbff]$/.test(cut) ? cut.slice(0, -1) : cut;
}

/** The newest 20 entries of a job's error history after appending one for attempt `x`. */
export function errorHistorySql(
  history: string,
  attempt: string,
  error: string,
  permanent: string,
  extraFields = "",
): string {
  return `bfdb_job_error_history(${history}, jsonb_build_object(
    'attempt', ${attempt}, 'error', ${error}, 'at', bfdb_iso(now()), 'permanent', ${permanent}${extraFields}))`;
}

/**
 * The select list that dead-letters a job: the columns of `m`, a row just deleted from
 * `bfdb_jobs_active` and carrying `new_error` and `new_errors`, as `bfdb_jobs_failed` stores
 * them. Shared by the fail path and the reaper, so a job dead-lettered either way looks alike.
 */
export const DEAD_LETTER_COLUMNS: string = movedColumns({
  status: "'failed'",
  locked_until: "NULL",
  finished_at: "now()",
  error: "m.new_error",
  errors: "m.new_errors",
  last_updated: "now()",
});

/**
 * Settles failed attempts in one statement: a permanent error, or one on the last attempt,
 * dead-letters the job (moved to `bfdb_jobs_failed`); any other schedules a retry in place
 * (`available`, `runAt` = now + the given delay or the backoff, worker cleared). Every attempt's
 * error goes into the job's `errors` history.
 */
export async function failJobs(
  workerId: string,
  failures: readonly JobFailure[],
): Promise<FailOutcome[]> {
  if (failures.length === 0) return [];
  for (const f of failures) {
    // NaN or Infinity would reach SQL as null and leave the job available with no runAt:
    // never claimable, never reaped. Refuse it before anything is written.
    if (
      f.retryDelayMs !== undefined &&
      (typeof f.retryDelayMs !== "number" || !Number.isFinite(f.retryDelayMs))
    ) {
      throw new RangeError(
        `failJobs: retryDelayMs must be a finite number, got ${f.retryDelayMs}`,
      );
    }
  }
  const input = heldInput(workerId, failures, [
    {
      name: "error",
      type: "text",
      values: failures.map((f) => storableErrorText(f.error)),
    },
    {
      name: "permanent",
      type: "boolean",
      values: failures.map((f) => f.permanent === true),
    },
    {
      name: "delay_ms",
      type: "bigint",
      values: failures.map((f) =>
        f.retryDelayMs === undefined ? null : Math.min(
          MAX_RETRY_DELAY_MS,
          Math.max(0, Math.round(f.retryDelayMs)),
        )
      ),
    },
  ]);
  const history = errorHistorySql(
    "j.errors",
    "x.attempt",
    "x.error",
    "x.permanent",
  );
  const rows = await bfDb.query<FailOutcome>(
    `WITH ${input.cte}, settled AS MATERIALIZED (
       SELECT x.*, x.permanent OR j.attempts >= j.max_attempts AS dead
       FROM x JOIN bfdb_jobs_active j ON ${input.held}
       ORDER BY j.bf_gid
       FOR UPDATE OF j
     ), retried AS (
       UPDATE bfdb_jobs_active j SET
         status = 'available', worker_id = NULL, locked_until = NULL, started_at = NULL,
         error = x.error, errors = ${history}, extra = ${
      extraBackToWaiting("j")
    },
         run_at = now() + COALESCE(x.delay_ms, ${retryDelaySql("x.attempt")})
           * interval '1 millisecond',
         last_updated = now()
       FROM settled x
       WHERE j.bf_gid = x.id AND NOT x.dead
       RETURNING j.bf_gid
     ), gone AS (
       DELETE FROM bfdb_jobs_active j USING settled x
       WHERE j.bf_gid = x.id AND x.dead
       RETURNING j.*, x.error AS new_error, ${history} AS new_errors
     ), failed AS (
       INSERT INTO bfdb_jobs_failed
       SELECT ${DEAD_LETTER_COLUMNS}
       FROM gone m
       RETURNING bf_gid
     )
     SELECT bf_gid AS id, 'available' AS status FROM retried
     UNION ALL SELECT bf_gid AS id, 'failed' AS status FROM failed`,
    input.params,
  );
  // Plain objects: callers get no driver-specific result type.
  return rows.map(({ id, status }) => ({ id, status }));
}
