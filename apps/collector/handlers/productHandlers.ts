import type { Logger } from "@bfmono/packages/logger/logger.ts";
import type { JobHandler } from "../worker/handler.ts";
import type { ScheduleDefinition } from "../worker/schedule.ts";
import { cleanupAuthTokensSchedule } from "./cleanupAuthTokens.ts";
import {
  JOB_TYPES,
  type JobTypeEntry,
  type ProductSettings,
} from "./jobTypes.ts";

export type { ProductSettings };

/** The handlers a worker runs, their schedules, and the types left unclaimed for want of settings. */
export interface ProductHandlers {
  /** Handlers to register. */
  handlers: JobHandler[];
  /** Schedules of those handlers. */
  schedules: ScheduleDefinition[];
  /** Types with no handler here; their jobs wait `available` until a configured worker runs. */
  disabled: string[];
}

/** The product's schedules: tokens are cleaned up once an hour. */
export const PRODUCT_SCHEDULES: readonly ScheduleDefinition[] = [
  cleanupAuthTokensSchedule,
];

/**
 * The worker's handlers: every type in `jobTypes` (default {@linkcode JOB_TYPES}) whose
 * settings are there; a type left without them is listed in `disabled` and, when `log` is
 * given, one info line says why (for `track_usage`: `POSTHOG_HOST` and `POSTHOG_API_KEY`).
 *
 * @example
 * ```ts
 * const { handlers, schedules } = productHandlers(loadConfig(), log);
 * const worker = await startWorker({ handlers, schedules });
 * ```
 */
export function productHandlers(
  settings: ProductSettings,
  log?: Logger,
  jobTypes: readonly JobTypeEntry[] = JOB_TYPES,
): ProductHandlers {
  const handlers: JobHandler[] = [];
  const disabled: string[] = [];
  for (const entry of jobTypes) {
    if (!("configure" in entry)) {
      handlers.push(entry);
      continue;
    }
    const configured = entry.configure(settings);
    if ("disabled" in configured) {
      disabled.push(entry.type);
      log?.info("handler disabled", {
        handler: entry.type,
        reason: configured.disabled,
      });
    } else {
      handlers.push(configured);
    }
  }
  return { handlers, schedules: [...PRODUCT_SCHEDULES], disabled };
}
