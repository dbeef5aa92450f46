import type { Logger } from "@bfmono/packages/logger/logger.ts";
import type { JobHandler } from "../worker/handler.ts";
import type { ScheduleDefinition } from "../worker/schedule.ts";
import {
  cleanupAuthTokensHandler,
  cleanupAuthTokensSchedule,
} from "./cleanupAuthTokens.ts";
import { processNewRecordHandler } from "./processNewRecord.ts";
import { createTrackUsageHandler, TRACK_USAGE } from "./trackUsage.ts";

/** What the product's handlers need to know: where PostHog is, if anywhere. */
export interface ProductSettings {
  posthogHost?: string;
  posthogApiKey?: string;
}

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
 * The worker's handlers: `process_new_record`, `cleanup_auth_tokens`, and `track_usage` when
 * `POSTHOG_HOST` and `POSTHOG_API_KEY` are both set; otherwise `track_usage` is listed in
 * `disabled` and, when `log` is given, one info line says why.
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
): ProductHandlers {
  const handlers: JobHandler[] = [
    processNewRecordHandler,
    cleanupAuthTokensHandler,
  ];
  const disabled: string[] = [];
  if (settings.posthogHost && settings.posthogApiKey) {
    handlers.push(
      createTrackUsageHandler({
        host: settings.posthogHost,
        apiKey: settings.posthogApiKey,
      }),
    );
  } else {
    disabled.push(TRACK_USAGE);
    log?.info("handler disabled", {
      handler: TRACK_USAGE,
      reason:
        "POSTHOG_HOST and POSTHOG_API_KEY are not both set; track_usage jobs stay queued",
    });
  }
  return { handlers, schedules: [...PRODUCT_SCHEDULES], disabled };
}
