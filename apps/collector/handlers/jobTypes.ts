/**
 * Every job type of the product, in one list: the worker registers the handlers found here,
 * and operators may enqueue any type listed (README, "A new job type in three steps"). An
 * entry is a handler (from its `defineJob(...).handler(...)`), or, for a type that needs
 * settings, a function of the settings that gives the handler or says why it cannot run.
 *
 * @module
 */
import type { JobHandler } from "../worker/handler.ts";
import { cleanupAuthTokensHandler } from "./cleanupAuthTokens.ts";
import { processNewRecordHandler } from "./processNewRecord.ts";
import {
  createTrackUsageHandler,
  TRACK_USAGE,
  trackUsagePayloadSchema,
} from "./trackUsage.ts";

/** What the product's handlers need to know: where PostHog is, if anywhere. */
export interface ProductSettings {
  posthogHost?: string;
  posthogApiKey?: string;
}

/** A type whose handler needs settings: the handler, or why this worker leaves it disabled. */
export interface ConfiguredJobType {
  type: string;
  schema: JobHandler["schema"];
  configure(settings: ProductSettings): JobHandler | { disabled: string };
}

/** One entry of {@linkcode JOB_TYPES}. */
export type JobTypeEntry = JobHandler | ConfiguredJobType;

/** The product's job types; add a new type's handler here. */
export const JOB_TYPES: readonly JobTypeEntry[] = [
  processNewRecordHandler,
  cleanupAuthTokensHandler,
  {
    type: TRACK_USAGE,
    schema: trackUsagePayloadSchema,
    configure: ({ posthogHost, posthogApiKey }) =>
      posthogHost && posthogApiKey
        ? createTrackUsageHandler({ host: posthogHost, apiKey: posthogApiKey })
        : {
          disabled:
            "POSTHOG_HOST and POSTHOG_API_KEY are not both set; track_usage jobs stay queued",
        },
  },
] as JobTypeEntry[];
