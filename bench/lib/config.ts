/** Workload sizes for one bench run. */
export interface Sizes {
  /** Jobs drained in W1 and W4. */
  drainJobs: number;
  /** Single awaited creates in W2. */
  singleJobs: number;
  /** Jobs enqueued in batches in W2. */
  batchJobs: number;
  /** Batch size for W2 and for loading the W1/W4 backlog. */
  batchSize: number;
  /** Jobs sent in W3. */
  latencyJobs: number;
  /** Milliseconds between W3 jobs. */
  latencyIntervalMs: number;
  /** Completed jobs (and, for us, other-class nodes) already in the table for W4. */
  depth: number;
  /** Waiting jobs of a type no worker serves, already in the table for W4 (on top of `depth`). */
  unservedJobs: number;
  /** Repetitions of every (workload, system) pair. */
  reps: number;
  /** Worker concurrency (jobs in flight per worker process). */
  concurrency: number;
  /** How long W5 keeps the worker saturated, in seconds (at least 20: two windows). */
  saturationSeconds: number;
}

/** The sizes of issue 5. */
export const FULL: Sizes = {
  drainJobs: 20_000,
  singleJobs: 5_000,
  batchJobs: 20_000,
  batchSize: 1_000,
  latencyJobs: 500,
  latencyIntervalMs: 20,
  depth: 1_000_000,
  unservedJobs: 200_000,
  reps: 3,
  concurrency: 10,
  saturationSeconds: 180,
};

/** Smaller sizes for development (`--quick`). */
export const QUICK: Sizes = {
  drainJobs: 5_000,
  singleJobs: 1_000,
  batchJobs: 5_000,
  batchSize: 1_000,
  latencyJobs: 100,
  latencyIntervalMs: 20,
  depth: 20_000,
  unservedJobs: 200_000,
  reps: 1,
  concurrency: 10,
  saturationSeconds: 30,
};
