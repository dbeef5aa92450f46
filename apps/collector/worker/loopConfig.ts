import { DEFAULT_LEASE_MS } from "@bfmono/apps/bfDb/jobs/claimJobs.ts";
import { DEFAULT_RETENTION, type Retention } from "./duties/pruner.ts";

/** The settings the worker loop itself uses. */
export interface WorkerLoopConfig {
  concurrency: number;
  jobTimeoutMs: number;
  leaseMs: number;
  pollIntervalMs: number;
  shutdownGraceMs: number;
  /** Most jobs to claim ahead of free slots, when jobs are short enough for it to pay. */
  prefetch: number;
  /** How long finished jobs are kept. */
  retention: Retention;
  /**
   * The queues this worker claims from; default `"every"`: every queue that has jobs, found as
   * they are created (and re-read every second).
   */
  queues: readonly string[] | "every";
  /**
   * At most this many jobs of a queue at once in this worker (`WORKER_QUEUES=emails=2`); a
   * queue not named shares all of `concurrency`.
   */
  queueSlots: Readonly<Record<string, number>>;
}

/**
 * The poll interval of a worker that cannot LISTEN (behind a transaction pooler with no
 * DATABASE_LISTEN_URL) when none is set: polling is then how every job is found, so a job waits
 * about half of this on average for its start (README, "Connection poolers", has the figures).
 */
export const POLL_INTERVAL_WITHOUT_LISTEN_MS = 500;

/** The defaults of the worker loop, and of the environment variables that set it (config.ts). */
export const DEFAULT_LOOP_CONFIG: WorkerLoopConfig = {
  concurrency: 10,
  jobTimeoutMs: 300_000,
  leaseMs: DEFAULT_LEASE_MS,
  pollIntervalMs: 2_000,
  shutdownGraceMs: 25_000,
  // Enough for ~40 ms of no-op jobs at full speed; the pacer claims far fewer for slower jobs.
  prefetch: 1000,
  retention: DEFAULT_RETENTION,
  queues: "every",
  queueSlots: {},
};
