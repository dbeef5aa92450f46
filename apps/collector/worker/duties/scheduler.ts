import { CurrentViewer } from "@bfmono/apps/bfDb/CurrentViewer.ts";
import { BfJob } from "@bfmono/apps/bfDb/nodeTypes/BfJob.ts";
import type { DutyHooks } from "./dutyHooks.ts";
import { Periodic } from "./periodic.ts";

/** A job enqueued once per period, whatever the number of workers. */
export interface RecurringJob {
  type: string;
  payload: Record<string, unknown>;
  everyMs: number;
}

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

/** How often the scheduler looks for a period that has begun. */
const SCHEDULER_INTERVAL_MS = 60_000;

/** What the scheduler needs from the worker it runs in. */
export interface SchedulerHost extends DutyHooks {
  schedules: readonly RecurringJob[];
  /** Called with the types of the jobs one pass enqueued. */
  onEnqueued(types: string[]): void;
}

/**
 * The scheduler duty: every minute enqueues the current period's job of each schedule, exactly
 * once whatever the number of workers. Start it with `start(0)`: a period that began while no
 * worker ran is served at once.
 *
 * @example
 * ```ts
 * const scheduler = schedulerDuty({ schedules, onEnqueued, onError, onOk, dutyTimeoutMs: 10_000 });
 * scheduler.start(0);
 * await scheduler.stop();
 * ```
 */
export function schedulerDuty(host: SchedulerHost): Periodic {
  return new Periodic({
    name: "scheduler",
    intervalMs: SCHEDULER_INTERVAL_MS,
    run: async () => {
      const enqueued = await enqueueDueRecurringJobs(host.schedules);
      host.onOk();
      host.onEnqueued(enqueued);
    },
    onError: (error) => host.onError("scheduler", error),
    timeoutMs: host.dutyTimeoutMs,
  });
}
