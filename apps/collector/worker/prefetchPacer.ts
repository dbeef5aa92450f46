/**
 * Decides how many jobs a worker claims ahead of its free slots. Claiming ahead hides the
 * claim round trip behind running jobs, which only pays when jobs are short: the target is the
 * number of jobs that finish during a few claim round trips, so a worker of slow jobs claims
 * none ahead and leaves them to idle workers, and a worker of quick ones batches its claims.
 *
 * How fast jobs finish is judged two ways, and the larger wins: the rate at which they did
 * finish (a measured throughput, which claiming ahead itself limits), and the rate at which the
 * slots could finish them (concurrency over the jobs' own run time). The second is what lets a
 * fresh worker facing a backlog of quick jobs claim at full speed after its first claim: by the
 * first alone it climbed for half a second, claiming 10, 14, 20, 40, 60, 100, 200 … (20,000
 * no-op jobs took 1.35 s instead of 1.0).
 */
export class PrefetchPacer {
  #finished = 0;
  #windowStart: number;
  #ratePerSecond: number | undefined;
  #claimSeconds = MIN_LEAD_SECONDS;
  /** Running average of one job's run time, in seconds; undefined until one finishes. */
  #runSeconds: number | undefined;
  #lastFinish = 0;
  /** Estimated size of a claimed job's payload as JSON text; undefined until one is seen. */
  #payloadBytes: number | undefined;

  constructor(
    readonly maxPrefetch: number,
    private readonly now: () => number = () => performance.now(),
    /** Slots of the worker: how many jobs run at once. */
    readonly concurrency = 1,
  ) {
    this.#windowStart = now();
  }

  /** Counts one finished job, which ran for `runSeconds` when known. */
  observeFinished(runSeconds?: number): void {
    this.#finished++;
    this.#lastFinish = this.now();
    if (runSeconds !== undefined && Number.isFinite(runSeconds)) {
      this.#runSeconds = this.#runSeconds === undefined
        ? runSeconds
        : 0.9 * this.#runSeconds + 0.1 * runSeconds;
    }
  }

  /**
   * Folds the payloads of claimed jobs into the estimate of a payload's size, measuring one job
   * in {@linkcode PAYLOAD_SAMPLE_EVERY} (and the first of each claim): the size bounds how many
   * jobs are held ahead, so a stream of quick jobs with big payloads cannot fill the heap.
   */
  observeClaimed(payloads: readonly unknown[]): void {
    for (let i = 0; i < payloads.length; i += PAYLOAD_SAMPLE_EVERY) {
      const bytes = (JSON.stringify(payloads[i]) ?? "").length;
      this.#payloadBytes = this.#payloadBytes === undefined
        ? bytes
        : Math.max(bytes, 0.8 * this.#payloadBytes + 0.2 * bytes);
    }
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
    // What the slots could finish, while jobs keep finishing: after a pause the next jobs may
    // be of another kind, and are measured afresh.
    if (now - this.#lastFinish > IDLE_FORGET_SECONDS * 1000) {
      this.#runSeconds = undefined;
    }
    const capacity = this.#runSeconds === undefined
      ? 0
      : this.concurrency / Math.max(this.#runSeconds, MIN_RUN_SECONDS);
    // Small claims are quick, so the lead time is floored: otherwise a worker that starts with
    // small claims keeps them small, since each one predicts the next.
    const lead = Math.max(MIN_LEAD_SECONDS, this.#claimSeconds) * LEAD_CLAIMS;
    const ahead = Math.ceil(
      Math.max(this.#ratePerSecond ?? 0, capacity) * lead,
    );
    const byMemory = this.#payloadBytes === undefined
      ? this.maxPrefetch
      : Math.floor(MAX_AHEAD_PAYLOAD_BYTES / Math.max(1, this.#payloadBytes));
    return Math.max(0, Math.min(this.maxPrefetch, byMemory, ahead));
  }
}

/** How often the finish rate is re-measured. */
const RATE_WINDOW_SECONDS = 0.025;
/** The shortest claim round trip the pacer plans for. */
const MIN_LEAD_SECONDS = 0.005;
/** A job's run time below which it counts as this short (a no-op takes microseconds). */
const MIN_RUN_SECONDS = 0.000_05;
/**
 * After this long with no job finished, the jobs' run time is forgotten: a backlog of quick
 * jobs finishes some every few milliseconds, while slow jobs arriving after quick ones must
 * not be claimed ahead by the first worker to see them (they are left to idle workers).
 */
const IDLE_FORGET_SECONDS = 0.1;
/** How many claim round trips of work to keep claimed ahead. */
const LEAD_CLAIMS = 4;
/**
 * The most payload, as JSON text, a worker holds claimed ahead: 1,000 no-op jobs are a few
 * hundred KB, while 1,000 jobs of 1 MiB payloads would be a gigabyte of heap (the worker runs
 * with a 1 GB heap: infra/bin/bft).
 */
const MAX_AHEAD_PAYLOAD_BYTES = 32 * 1024 * 1024;
/** One claimed job in this many has its payload measured. */
const PAYLOAD_SAMPLE_EVERY = 32;
