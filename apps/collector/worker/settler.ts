import type { FailOutcome } from "@bfmono/apps/bfDb/jobs/failJobs.ts";
import { BfJob } from "@bfmono/apps/bfDb/nodeTypes/BfJob.ts";
import type { Logger } from "@bfmono/packages/logger/logger.ts";
import { jobLogger } from "./jobLogger.ts";
import type { WorkerMetrics } from "./metrics.ts";

/** How long a claimed-ahead job may run before its `running` status is written. */
const START_WRITE_DELAY_MS = 250;

/** A job's start, kept to be written with its settle or on its own after a short delay. */
type Start = { job: BfJob; startedAtMs: number };

type Pending =
  | { kind: "complete"; job: BfJob; startedAtMs?: number; resultJson?: string }
  | { kind: "fail"; job: BfJob; error: string; permanent: boolean }
  | { kind: "snooze"; job: BfJob; delayMs: number }
  | { kind: "release"; job: BfJob };

/** Options for batching settles. */
export interface SettlerOptions {
  workerId: string;
  logger: Logger;
  metrics: WorkerMetrics;
  /** Most jobs one write covers (per kind of settle); a larger backlog is written in chunks. */
  maxBatch?: number;
  /** Wait at most this long to fill a batch. */
  maxDelayMs?: number;
  /** Called after every write, successful or not, so the claim loop can re-check its backlog. */
  onWritten?: () => void;
}

/** Default most jobs per settle statement. */
export const DEFAULT_SETTLE_BATCH = 500;

/**
 * Collects finished jobs and writes them in chunks of at most `maxBatch`, one write at a time:
 * one statement per kind of settle per chunk, plus the `running` marks of claimed-ahead jobs
 * that are still running. Because this is the only writer of the worker's held rows apart from
 * the heartbeat (which skips rows it cannot lock at once), no two of the worker's own statements
 * ever wait on each other. A write that fails for want of a database is kept and retried within
 * the lease; if the leases lapse meanwhile the reaper re-runs the jobs (at-least-once).
 */
export class Settler {
  readonly #options: Required<Omit<SettlerOptions, "onWritten">>;
  readonly #onWritten: () => void;
  #pending: Pending[] = [];
  #writing: Pending[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #pump: Promise<void> | undefined;
  #failures = 0;
  #peakBacklog = 0;
  readonly #starts = new Map<string, Start>();
  #startTimer: ReturnType<typeof setTimeout> | undefined;
  #startsDue = false;

  constructor(options: SettlerOptions) {
    const { onWritten, ...rest } = options;
    this.#options = {
      maxBatch: DEFAULT_SETTLE_BATCH,
      maxDelayMs: 2,
      ...rest,
    };
    this.#onWritten = onWritten ?? (() => {});
  }

  /** How many finished jobs are not yet written (waiting or in the write in flight). */
  get backlog(): number {
    return this.#pending.length + this.#writing.length;
  }

  /** The largest backlog seen since this settler was made. */
  get peakBacklog(): number {
    return this.#peakBacklog;
  }

  /** Ids of finished jobs not yet written (pending or being written). */
  get unsettledIds(): string[] {
    return [...this.#pending, ...this.#writing].map((p) => p.job.id);
  }

  /**
   * Notes that a job claimed ahead has started. The `running` write waits a little: a job that
   * settles first is written once, with its start time in the settle, instead of twice.
   */
  started(job: BfJob): void {
    this.#starts.set(job.id, { job, startedAtMs: Date.now() });
    this.#startTimer ??= setTimeout(() => {
      this.#startTimer = undefined;
      this.#startsDue = true;
      this.#kick();
    }, START_WRITE_DELAY_MS);
  }

  /**
   * Writes the start of a job claimed ahead now, before its handler runs (for a job suspected of
   * taking its worker down: see the worker's launch). Resolves once written, or once the write
   * failed (logged: the run goes on, as with a lazy start).
   */
  async startNow(job: BfJob): Promise<void> {
    this.#starts.delete(job.id);
    await this.#writeStarts([{ job, startedAtMs: Date.now() }]);
  }

  /** Queues a completion, with the handler's result as JSON text when it returned one. */
  complete(job: BfJob, resultJson?: string): void {
    this.#add({
      kind: "complete",
      job,
      startedAtMs: this.#takeStart(job),
      resultJson,
    });
  }

  /** Queues a snooze: back to waiting for `delayMs`, the attempt not counted. */
  snooze(job: BfJob, delayMs: number): void {
    this.#takeStart(job);
    this.#add({ kind: "snooze", job, delayMs });
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

  #takeStart(job: BfJob): number | undefined {
    const start = this.#starts.get(job.id);
    this.#starts.delete(job.id);
    return start?.startedAtMs;
  }

  #add(item: Pending): void {
    this.#pending.push(item);
    this.#peakBacklog = Math.max(this.#peakBacklog, this.backlog);
    if (this.#pump) return;
    if (this.#pending.length >= this.#options.maxBatch) this.#kick();
    else {
      this.#timer ??= setTimeout(() => {
        this.#timer = undefined;
        this.#kick();
      }, this.#options.maxDelayMs);
    }
  }

  /** Starts the writer unless it already runs; it writes until nothing is left. */
  #kick(): Promise<void> {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    this.#pump ??= this.#writeAll().finally(() => {
      this.#pump = undefined;
      // Anything queued while the last write was being answered.
      if (this.#pending.length > 0 || this.#startsDue) this.#kick();
    });
    return this.#pump;
  }

  async #writeAll(): Promise<void> {
    while (this.#pending.length > 0 || this.#startsDue) {
      const chunk = this.#pending.splice(0, this.#options.maxBatch);
      const starts = this.#takeDueStarts();
      this.#writing = chunk;
      let ok = false;
      try {
        ok = await this.#write(chunk, starts);
      } finally {
        this.#writing = [];
        if (!ok) this.#pending = chunk.concat(this.#pending);
        this.#onWritten();
      }
      if (!ok) {
        // Retried well within a lease, so the writes land before the jobs could be reaped.
        await new Promise((resolve) =>
          setTimeout(resolve, Math.min(1_000, 50 * 2 ** this.#failures))
        );
      }
    }
  }

  #takeDueStarts(): Start[] {
    if (!this.#startsDue) return [];
    this.#startsDue = false;
    const starts = [...this.#starts.values()];
    this.#starts.clear();
    return starts;
  }

  /** Writes everything pending now; resolves when written or when the write failed (kept for retry). */
  flush(): Promise<void> {
    if (this.#pending.length === 0 && !this.#pump) return Promise.resolve();
    return this.#kick();
  }

  /** Writes until nothing is pending or in flight, or `deadline` (epoch ms) passes; returns what is left. */
  async drain(deadline: number): Promise<number> {
    clearTimeout(this.#startTimer);
    this.#startTimer = undefined;
    if (this.#starts.size > 0) this.#startsDue = true;
    while (this.backlog > 0 || this.#startsDue || this.#pump) {
      if (Date.now() >= deadline) break;
      const pump = this.#kick();
      await Promise.race([
        pump,
        new Promise((resolve) =>
          setTimeout(resolve, Math.max(0, deadline - Date.now()))
        ),
      ]);
    }
    return this.backlog;
  }

  /** Writes one chunk; false when the database did not take it (the chunk is kept). */
  async #write(
    batch: Pending[],
    starts: Start[],
  ): Promise<boolean> {
    const { workerId } = this.#options;
    const completes = batch.filter((p) => p.kind === "complete");
    const fails = batch.filter((p) => p.kind === "fail");
    const releases = batch.filter((p) => p.kind === "release");
    const snoozes = batch.filter((p) => p.kind === "snooze");
    try {
      const [completed, failed, released, snoozed] = await Promise.all([
        BfJob.completeMany(
          workerId,
          completes.map((p) => ({
            ...p.job.held,
            startedAtMs: p.startedAtMs,
            resultJson: p.resultJson,
          })),
        ),
        BfJob.failMany(
          workerId,
          fails.map((p) => ({
            ...p.job.held,
            error: p.error,
            permanent: p.permanent,
          })),
        ),
        BfJob.releaseMany(workerId, releases.map((p) => p.job.held)),
        BfJob.snoozeMany(
          workerId,
          snoozes.map((p) => ({ ...p.job.held, delayMs: p.delayMs })),
        ),
        this.#writeStarts(starts),
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
      this.#reportSnoozes(snoozes, new Set(snoozed));
      return true;
    } catch (error) {
      this.#failures++;
      this.#options.logger.error("could not write finished jobs; will retry", {
        error,
        pending: batch.length,
      });
      return false;
    }
  }

  async #writeStarts(
    starts: Start[],
  ): Promise<void> {
    if (starts.length === 0) return;
    try {
      await BfJob.startMany(
        this.#options.workerId,
        starts.map((s) => ({ ...s.job.held, startedAtMs: s.startedAtMs })),
      );
    } catch (error) {
      // Only the `running` label is lost: the lease still covers the job, and its settle
      // records the start time.
      this.#options.logger.warn("could not mark started jobs running", {
        error,
      });
    }
  }

  #reportSnoozes(
    snoozes: (Pending & { kind: "snooze" })[],
    snoozed: Set<string>,
  ): void {
    const { logger, metrics } = this.#options;
    for (const { job, delayMs } of snoozes) {
      const log = jobLogger(logger, job);
      if (snoozed.has(job.id)) {
        metrics.count("snoozed", job.props.type);
        log.info("job snoozed", { delayMs });
      } else log.warn("job snoozed after its lease was lost");
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
