import {
  BfJobSchedule,
  type FiredSlot,
  type ScheduleDefinition,
} from "@bfmono/apps/bfDb/nodeTypes/BfJobSchedule.ts";
import type { DutyHooks } from "./dutyHooks.ts";
import { Periodic } from "./periodic.ts";

/**
 * How often the scheduler looks for a slot that has come: one cheap read of the schedules whose
 * next slot has passed, so a slot fires within about a second of its instant.
 */
export const SCHEDULER_INTERVAL_MS = 1_000;

/** What the scheduler needs from the worker it runs in. */
export interface SchedulerHost extends DutyHooks {
  /** The schedules this worker declares (only those with a handler here). */
  schedules: readonly ScheduleDefinition[];
  /** Called with the slots one pass fired. */
  onFired(fired: FiredSlot[]): void;
}

/**
 * The scheduler duty: stores the worker's schedules in the database on its first run (again
 * after a failure), then every second fires the slots that have come (see
 * `BfJobSchedule.fireDue`), exactly once per slot whatever the number of workers.
 *
 * @example
 * ```ts
 * const scheduler = schedulerDuty({ schedules, onFired, onError, onOk, dutyTimeoutMs: 10_000 });
 * scheduler.start(0);
 * await scheduler.stop();
 * ```
 */
export function schedulerDuty(host: SchedulerHost): Periodic {
  const names = host.schedules.map((s) => s.name);
  let stored = false;
  return new Periodic({
    name: "scheduler",
    intervalMs: SCHEDULER_INTERVAL_MS,
    run: async () => {
      if (!stored) {
        await BfJobSchedule.upsert(host.schedules);
        stored = true;
      }
      const fired = await BfJobSchedule.fireDue(names);
      host.onOk();
      if (fired.length > 0) host.onFired(fired);
    },
    onError: (error) => host.onError("scheduler", error),
    timeoutMs: host.dutyTimeoutMs,
  });
}
