/** How retry delays grow. */
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
 * The delay before retrying after failed attempt number `attempt` (1-based): exponential,
 * with "equal jitter" (half fixed, half random) so a burst of failures does not retry in lockstep.
 */
export function retryDelayMs(
  attempt: number,
  policy: BackoffPolicy = DEFAULT_BACKOFF,
  random: () => number = Math.random,
): number {
  const exponent = Number.isFinite(attempt)
    ? Math.max(0, Math.min(attempt - 1, 40))
    : 0;
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** exponent);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
