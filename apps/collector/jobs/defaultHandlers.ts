import type { Logger } from "@bfmono/packages/logger/logger.ts";
import type { WorkerConfig } from "../config.ts";
import type { JobHandler } from "../handler.ts";
import { cleanupAuthTokensHandler } from "./cleanupAuthTokens.ts";
import { processNewRecordHandler } from "./processNewRecord.ts";
import { createTrackUsageHandler, TRACK_USAGE } from "./trackUsage.ts";

/** The handlers a worker runs, and the job types left unclaimed for want of configuration. */
export interface DefaultHandlers {
  /** Handlers to register. */
  handlers: JobHandler[];
  /** Types with no handler here; their jobs wait `available` until a configured worker runs. */
  disabled: string[];
}

/**
 * The worker's handlers: `process_new_record`, `cleanup_auth_tokens`, and `track_usage` when
 * `POSTHOG_HOST` and `POSTHOG_API_KEY` are both set; otherwise `track_usage` is listed in
 * `disabled` and, when `log` is given, one info line says why.
 *
 * @example
 * ```ts
 * const { handlers, disabled } = defaultHandlers(loadConfig(), log);
 * const registry = new HandlerRegistry(handlers);
 * ```
 */
export function defaultHandlers(
  config: WorkerConfig,
  log?: Logger,
): DefaultHandlers {
  const handlers: JobHandler[] = [
    processNewRecordHandler,
    cleanupAuthTokensHandler,
  ];
  const disabled: string[] = [];
  if (config.posthogHost && config.posthogApiKey) {
    handlers.push(
      createTrackUsageHandler({
        host: config.posthogHost,
        apiKey: config.posthogApiKey,
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
  return { handlers, disabled };
}
