import { type HeldJob, updateHeldJobs } from "./fencing.ts";

/** A failed attempt: why, whether retrying can help, and how long to wait before the retry. */
export interface JobFailure extends HeldJob {
  error: string;
  permanent?: boolean;
  retryDelayMs: number;
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

/**
 * Settles failed attempts in one statement: a permanent error, or one on the last attempt,
 * dead-letters the job (`failed`); any other schedules a retry (`available`, `runAt` = now +
 * delay, worker cleared). Every attempt's error goes into the job's `errors` history.
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
      typeof f.retryDelayMs !== "number" || !Number.isFinite(f.retryDelayMs)
    ) {
      throw new RangeError(
        `failJobs: retryDelayMs must be a finite number, got ${f.retryDelayMs}`,
      );
    }
  }
  const rows = await updateHeldJobs(
    workerId,
    failures,
    `CASE
       WHEN x.permanent OR (j.props->>'attempts')::int >= (j.props->>'maxAttempts')::int THEN
         (j.props - 'lockedUntil') || jsonb_build_object(
           'status', 'failed',
           'error', x.error,
           'finishedAt', bfdb_iso(now()),
           'errors', bfdb_job_error_history(j.props->'errors', jsonb_build_object(
             'attempt', x.attempt, 'error', x.error, 'at', bfdb_iso(now()),
             'permanent', x.permanent)))
       ELSE
         (j.props - 'lockedUntil' - 'workerId' - 'startedAt') || jsonb_build_object(
           'status', 'available',
           'error', x.error,
           'runAt', bfdb_iso(now() + x.delay_ms * interval '1 millisecond'),
           'errors', bfdb_job_error_history(j.props->'errors', jsonb_build_object(
             'attempt', x.attempt, 'error', x.error, 'at', bfdb_iso(now()),
             'permanent', false)))
     END`,
    {
      columns: [
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
            Math.min(
              MAX_RETRY_DELAY_MS,
              Math.max(0, Math.round(f.retryDelayMs)),
            )
          ),
        },
      ],
      returning: "j.bf_gid AS id, j.props->>'status' AS status",
    },
  ) as unknown as FailOutcome[];
  // Plain objects: callers get no driver-specific result type.
  return rows.map(({ id, status }) => ({ id, status }));
}
