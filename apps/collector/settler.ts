import { retryDelayMs } from "@bfmono/apps/bfDb/jobs/backoff.ts";
import type { FailOutcome } from "@bfmono/apps/bfDb/jobs/failJobs.ts";
import { BfJob } from "@bfmono/apps/bfDb/nodeTypes/BfJob.ts";
import type { Logger } from "@bfmono/packages/logger/logger.ts";
import { jobLogger } from "./jobLogger.ts";
import type { WorkerMetrics } from "./metrics.ts";

/** How long a claimed-ahead job may run before its `running` status is written. */
const START_WRITE_DELAY_MS = 250;

type Pending =
  | { kind: "complete"; job: BfJob; startedAt?: string }
  | { kind: "fail"; job: BfJob; error: string; permanent: boolean }
  | { kind: "release"; job: BfJob };

/** Options for batching settles. */
export interface SettlerOptions {
  workerId: string;
  logger: Logger;
  metrics: WorkerMetrics;
  /** Flush once this many are pending. */
  maxBatch?: number;
  /** Wait at most this long to fill a batch. */
  maxDelayMs?: number;
}

/**
 * Collects finished jobs and writes them in batches (one statement per kind per flush). A flush
 * that fails for want of a database is kept and retried: the leases cover the wait, and if they
 * lapse the reaper re-runs the jobs, which is the at-least-once promise.
 */
export class Settler {
  readonly #options: Required<SettlerOptions>;
  #pending: Pending[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #flushing: Promise<void> | undefined;
  #failures = 0;
  #writing: Pending[] = [];
  readonly #starts = new Map<string, { job: BfJob; startedAt: string }>();
  #startTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: SettlerOptions) {
    this.#options = { maxBatch: 200, maxDelayMs: 2, ...options };
  }

  /** How many finished jobs are not yet written. */
  get backlog(): number {
    return this.#pending.length;
  }

  /** Ids of finished jobs not yet written (pending or being written): still ours to renew. */
  get unsettledIds(): string[] {
    return [...this.#pending, ...this.#writing].map((p) => p.job.id);
  }

  /**
   * Notes that a job claimed ahead has started. The `running` write waits a little: a job that
   * settles first is written once, with its start time in the settle, instead of twice.
   */
  started(job: BfJob): void {
    this.#starts.set(job.id, { job, startedAt: new Date().toISOString() });
    this.#startTimer ??= setTimeout(() => {
      this.#startTimer = undefined;
      void this.#writeStarts();
    }, START_WRITE_DELAY_MS);
  }

  /** Queues a completion. */
  complete(job: BfJob): void {
    this.#add({ kind: "complete", job, startedAt: this.#takeStart(job) });
  }

  /** Queues a failed attempt; permanent ones are dead-lettered. */
  fail(job: BfJob, error: string, permanent: boolean): void {
    this.#takeStart(job);
    this.#add({ kind: "fail", job, error, permanent });
  }

  /** Queues a hand-back that does not count the attempt. */
  release(job: BfJob): void {
    this.#takeStart(job);
    this.#add({ kind: "release", job });
  }

  #takeStart(job: BfJob): string | undefined {
    const start = this.#starts.get(job.id);
    this.#starts.delete(job.id);
    return start?.startedAt;
  }

  async #writeStarts(): Promise<void> {
    const starts = [...this.#starts.values()];
    this.#starts.clear();
    if (starts.length === 0) return;
    try {
      await BfJob.startMany(
        this.#options.workerId,
        starts.map((s) => ({ ...s.job.held, startedAt: s.startedAt })),
      );
    } catch (error) {
      // Only the `running` label is lost: the lease still covers the job, and its settle
      // records the start time.
      this.#options.logger.warn("could not mark started jobs running", {
        error,
      });
    }
  }

  #add(item: Pending): void {
    this.#pending.push(item);
    if (this.#pending.length >= this.#options.maxBatch) {
      void this.flush();
    } else if (this.#timer === undefined) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        void this.flush();
      }, this.#options.maxDelayMs);
    }
  }

  /** Writes everything pending now; resolves when written or when the write failed (kept for retry). */
  flush(): Promise<void> {
    if (this.#flushing) {
      return this.#flushing.then(() =>
        this.#pending.length ? this.flush() : undefined
      );
    }
    if (this.#pending.length === 0) return Promise.resolve();
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    const batch = this.#pending;
    this.#pending = [];
    this.#writing = batch;
    this.#flushing = this.#write(batch).finally(() => {
      this.#writing = [];
      this.#flushing = undefined;
    });
    return this.#flushing;
  }

  /** Flushes until nothing is pending or `deadline` (epoch ms) passes; returns what is left. */
  async drain(deadline: number): Promise<number> {
    clearTimeout(this.#startTimer);
    this.#startTimer = undefined;
    await this.#writeStarts();
    while (this.#pending.length > 0 || this.#flushing) {
      await this.flush();
      if (this.#pending.length === 0) break;
      if (Date.now() >= deadline) break;
      await new Promise((resolve) =>
        setTimeout(resolve, Math.min(1_000, 50 * 2 ** this.#failures))
      );
    }
    return this.#pending.length;
  }

  async #write(batch: Pending[]): Promise<void> {
    const { workerId } = this.#options;
    const completes = batch.filter((p) => p.kind === "complete");
    const fails = batch.filter((p) => p.kind === "fail");
    const releases = batch.filter((p) => p.kind === "release");
    try {
      const [completed, failed, released] = await Promise.all([
        BfJob.completeMany(
          workerId,
          completes.map((p) => ({
            ...p.job.held,
            startedAt: p.kind === "complete" ? p.startedAt : undefined,
          })),
        ),
        BfJob.failMany(
          workerId,
          fails.map((p) => ({
            ...p.job.held,
            error: p.error,
            permanent: p.permanent,
            retryDelayMs: retryDelayMs(p.job.props.attempts),
          })),
        ),
        BfJob.releaseMany(workerId, releases.map((p) => p.job.held)),
      ]);
      this.#failures = 0;
      this.#report(
        completes,
        new Set(completed),
        fails,
        failed,
        releases,
        new Set(released),
      );
    } catch (error) {
      this.#failures++;
      this.#options.logger.error("could not write finished jobs; will retry", {
        error,
        pending: batch.length,
      });
      this.#pending = batch.concat(this.#pending);
      // Retried well within a lease, so the writes land before the jobs could be reaped.
      const delay = Math.min(1_000, 50 * 2 ** this.#failures);
      if (this.#timer === undefined) {
        this.#timer = setTimeout(() => {
          this.#timer = undefined;
          void this.flush();
        }, delay);
      }
    }
  }

  #report(
    completes: Pending[],
    completed: Set<string>,
    fails: (Pending & { kind: "fail" })[],
    failed: FailOutcome[],
    releases: Pending[],
    released: Set<string>,
  ): void {
    const { logger, metrics } = this.#options;
    for (const { job } of completes) {
      const log = jobLogger(logger, job);
      if (completed.has(job.id)) {
        metrics.count("completed", job.props.type);
        log.info("job completed");
      } else {log.warn(
          "job finished after its lease was lost; its new owner decides its fate",
        );}
    }
    const outcomes = new Map(failed.map((o) => [o.id, o.status]));
    for (const item of fails) {
      const log = jobLogger(logger, item.job);
      const status = outcomes.get(item.job.id);
      if (status === "failed") {
        metrics.count("failed", item.job.props.type);
        log.error("job failed for good", {
          error: item.error,
          permanent: item.permanent,
        });
      } else if (status === "available") {
        metrics.count("retried", item.job.props.type);
        log.warn("job attempt failed; will retry", { error: item.error });
      } else {log.warn("job failed after its lease was lost", {
          error: item.error,
        });}
    }
    for (const { job } of releases) {
      if (released.has(job.id)) {
        jobLogger(logger, job).info("job released back to the queue");
      }
    }
  }
}
