/**
 * Decides how many jobs a worker claims ahead of its free slots. Claiming ahead hides the
 * claim round trip behind running jobs, which only pays when jobs are short: the target is the
 * number of jobs that finish during a few claim round trips, so a worker of slow jobs claims
 * none ahead and leaves them to idle workers, and a worker of quick ones batches its claims.
 */
export class PrefetchPacer {
  #finished = 0;
  #windowStart: number;
  #ratePerSecond: number | undefined;
  #claimSeconds = MIN_LEAD_SECONDS;

  constructor(
    readonly maxPrefetch: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.#windowStart = now();
  }

  /** Counts one finished job. */
  observeFinished(): void {
    this.#finished++;
  }

  /** Folds one claim's duration into the running estimate. */
  observeClaim(seconds: number): void {
    this.#claimSeconds = 0.8 * this.#claimSeconds + 0.2 * seconds;
  }

  /** How many jobs to hold claimed beyond the free slots right now. */
  prefetchTarget(): number {
    const now = this.now();
    const elapsed = (now - this.#windowStart) / 1000;
    if (elapsed >= RATE_WINDOW_SECONDS) {
      const rate = this.#finished / elapsed;
      // The first window is taken as it is: blending it with "nothing finished yet" would halve
      // a backlog's first estimate and make a fresh worker climb to speed over several windows.
      this.#ratePerSecond = this.#ratePerSecond === undefined || elapsed > 2
        ? rate
        : 0.5 * this.#ratePerSecond + 0.5 * rate;
      this.#finished = 0;
      this.#windowStart = now;
    }
    // Small claims are quick, so the lead time is floored: otherwise a worker that starts with
    // small claims keeps them small, since each one predicts the next.
    const lead = Math.max(MIN_LEAD_SECONDS, this.#claimSeconds) * LEAD_CLAIMS;
    const ahead = Math.ceil((this.#ratePerSecond ?? 0) * lead);
    return Math.max(0, Math.min(this.maxPrefetch, ahead));
  }
}

/** How often the finish rate is re-measured. */
const RATE_WINDOW_SECONDS = 0.025;
/** The shortest claim round trip the pacer plans for. */
const MIN_LEAD_SECONDS = 0.005;
/** How many claim round trips of work to keep claimed ahead. */
const LEAD_CLAIMS = 4;
