import {
  ensureJobPartitions,
  pruneFinishedJobs,
  type PruneResult,
  summarizeFinishedRanges,
} from "@bfmono/apps/bfDb/jobs/pruneJobs.ts";
import { pruneExpiredJobKeys } from "@bfmono/apps/bfDb/jobs/uniqueJobs.ts";
import { sweepDeadWorkers } from "@bfmono/apps/bfDb/jobs/workerRegistry.ts";
import type { DutyHooks } from "./dutyHooks.ts";
import { Periodic } from "./periodic.ts";

/** How long finished jobs are kept before the pruner removes them. */
export interface Retention {
  /** Completed jobs; default 7 days. */
  completedMs: number;
  /** Failed and cancelled jobs (the dead letter, kept longer to be looked at); default 30 days. */
  failedMs: number;
}

/** The default retention: a week of completed jobs, a month of failed ones. */
export const DEFAULT_RETENTION: Retention = {
  completedMs: 7 * 86_400_000,
  failedMs: 30 * 86_400_000,
};

/** How often the pruner runs: hourly, so a day partition goes within an hour of expiring. */
const PRUNER_INTERVAL_MS = 3_600_000;

/** What the pruner needs from the worker it runs in. */
export interface PrunerHost extends DutyHooks {
  retention: Retention;
  /** Called with what one pass removed, per table. */
  onPruned(result: PruneOutcome): void;
}

/**
 * What one pass removed: finished jobs per table, registry entries of long-dead workers, and
 * the keys of throttle windows (unique scope `period`) that have ended.
 */
export interface PruneOutcome {
  completed: PruneResult;
  failed: PruneResult;
  deadWorkers: number;
  expiredKeys: number;
  /** Block ranges of finished jobs newly summarized in their BRIN indexes. */
  summarizedRanges: number;
}

/**
 * One pass: creates the day partitions of finished jobs for today and the next two days, then
 * removes whole days of finished jobs past their retention (see `pruneFinishedJobs`), the
 * registry entries of workers dead for an hour, and expired job keys; then summarizes the
 * finished jobs' new block ranges (see `summarizeFinishedRanges`).
 */
export async function pruneOnce(
  retention: Retention,
): Promise<PruneOutcome> {
  await ensureJobPartitions(2);
  return {
    completed: await pruneFinishedJobs(
      "bfdb_jobs_completed",
      retention.completedMs,
    ),
    failed: await pruneFinishedJobs("bfdb_jobs_failed", retention.failedMs),
    deadWorkers: await sweepDeadWorkers(),
    expiredKeys: await pruneExpiredJobKeys(),
    summarizedRanges: await summarizeFinishedRanges(),
  };
}

/**
 * The pruner duty: hourly (and at once on start) keeps the finished-job partitions ahead of the
 * clock and drops the days past retention. Safe on every worker at once: a partition another
 * pruner holds is left for the next pass.
 *
 * @example
 * ```ts
 * const pruner = prunerDuty({ retention: DEFAULT_RETENTION, onPruned, onError, onOk, dutyTimeoutMs: 10_000 });
 * pruner.start(0);
 * await pruner.stop();
 * ```
 */
export function prunerDuty(host: PrunerHost): Periodic {
  return new Periodic({
    name: "pruner",
    intervalMs: PRUNER_INTERVAL_MS,
    run: async () => {
      const result = await pruneOnce(host.retention);
      host.onOk();
      host.onPruned(result);
    },
    onError: (error) => host.onError("pruner", error),
    timeoutMs: host.dutyTimeoutMs,
  });
}
