import { CurrentViewer } from "@bfmono/apps/bfDb/CurrentViewer.ts";
import { BfJob } from "@bfmono/apps/bfDb/nodeTypes/BfJob.ts";

/** A job enqueued once per period, whatever the number of workers. */
export interface RecurringJob {
  type: string;
  payload: Record<string, unknown>;
  everyMs: number;
}

/** The product's recurring jobs. */
export const RECURRING_JOBS: readonly RecurringJob[] = [
  { type: "cleanup_auth_tokens", payload: {}, everyMs: 3_600_000 },
];

/**
 * Enqueues the current period's job of each schedule. Each period's job has an id derived from
 * the schedule and the period's start, so when several workers do this at once exactly one
 * insert wins; returns the types it enqueued.
 */
export async function enqueueDueRecurringJobs(
  schedules: readonly RecurringJob[],
  now: number = Date.now(),
): Promise<string[]> {
  const enqueued: string[] = [];
  for (const schedule of schedules) {
    const periodStart = new Date(
      Math.floor(now / schedule.everyMs) * schedule.everyMs,
    );
    const key = `recurring:${schedule.type}:${periodStart.toISOString()}`;
    const job = await BfJob.createOnce(
      { type: schedule.type, payload: schedule.payload, runAt: periodStart },
      key,
      CurrentViewer.system(),
    );
    if (job) enqueued.push(schedule.type);
  }
  return enqueued;
}
