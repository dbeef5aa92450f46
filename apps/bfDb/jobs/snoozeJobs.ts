import { type HeldJob, updateHeldJobs } from "./fencing.ts";
import { MAX_RETRY_DELAY_MS } from "./failJobs.ts";
import type { JobTransition } from "./jobStates.ts";
import { extraBackToWaiting } from "./uniqueJobs.ts";

/** The transitions this file's SQL performs. */
export const performs: readonly JobTransition[] = ["snooze"];

/** A held job its handler put off: when to run it again. */
export interface JobSnooze extends HeldJob {
  delayMs: number;
}

/**
 * The most times one job may snooze: a handler that always snoozes would otherwise keep its
 * job waiting for ever. The worker fails the job permanently instead of snoozing it again.
 */
export const MAX_SNOOZES = 1_000;

/**
 * Puts held jobs back to `available` with `runAt` = now + their delay, in one statement, without
 * counting the attempt they used (`attempts` goes back down) and with one more `snoozes`
 * (kept in the row's `extra`); returns the ids it changed (others were lost).
 */
export function snoozeJobs(
  workerId: string,
  jobs: readonly JobSnooze[],
): Promise<string[]> {
  for (const job of jobs) {
    if (!Number.isFinite(job.delayMs) || job.delayMs < 0) {
      throw new RangeError(
        `snoozeJobs: delayMs must be a finite number >= 0, got ${job.delayMs}`,
      );
    }
  }
  return updateHeldJobs(
    workerId,
    jobs,
    `status = 'available', worker_id = NULL, locked_until = NULL, started_at = NULL,
     attempts = GREATEST(j.attempts - 1, 0),
     run_at = now() + x.delay_ms * interval '1 millisecond',
     extra = COALESCE(${
      extraBackToWaiting("j")
    }, '{}'::jsonb) || jsonb_build_object(
       'snoozes', COALESCE((j.extra->>'snoozes')::int, 0) + 1)`,
    "TRUE",
    [{
      name: "delay_ms",
      type: "bigint",
      values: jobs.map((j) =>
        Math.min(MAX_RETRY_DELAY_MS, Math.round(j.delayMs))
      ),
    }],
  );
}
