/**
 * Decides how many jobs a worker claims ahead of its free slots. Claiming ahead hides the
 * claim round trip behind running jobs, which only pays when jobs are short: the target is the
 * number of jobs that finish during a few claim round trips, so a worker of slow jobs claims
 * none ahead and leaves them to idle workers, and a worker of quick ones batches its claims.
 */
export class PrefetchPacer {
  #finished = 0;
  #windowStart = performance.now();
  #ratePerSecond = 0;
  #claimSeconds = 0.002;

  constructor(readonly maxPrefetch: number) {}

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
    const now = performance.now();
    const elapsed = (now - this.#windowStart) / 1000;
    if (elapsed >= 0.1) {
      const rate = this.#finished / elapsed;
      this.#ratePerSecond = elapsed > 2
        ? rate
        : 0.5 * this.#ratePerSecond + 0.5 * rate;
      this.#finished = 0;
      this.#windowStart = now;
    }
    const ahead = Math.ceil(this.#ratePerSecond * this.#claimSeconds * 4);
    return Math.max(0, Math.min(this.maxPrefetch, ahead));
  }
}
