/** How retry delays grow: the parameters of the `bfdb_job_retry_delay_ms` SQL function. */
export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

/** One second, doubling per attempt, capped at one hour. */
export const DEFAULT_BACKOFF: BackoffPolicy = {
  baseMs: 1_000,
  maxMs: 3_600_000,
};

/**
 * SQL for the delay in ms before retrying after failed attempt `attemptSql` (1-based), under
 * the default policy with fresh jitter. The formula itself lives once, in the database function
 * `bfdb_job_retry_delay_ms` (migration 004), which every retry of the queue goes through: a
 * settled failure, `BfJob.fail` and the reaper.
 */
export function retryDelaySql(
  attemptSql: string,
  policy: BackoffPolicy = DEFAULT_BACKOFF,
): string {
  const base = Math.round(policy.baseMs);
  const max = Math.round(policy.maxMs);
  if (!(base >= 0 && max >= base && Number.isSafeInteger(max))) {
    throw new RangeError(`backoff: bad policy ${JSON.stringify(policy)}`);
  }
  return `bfdb_job_retry_delay_ms(${attemptSql}, ${base}, ${max}, random())`;
}
