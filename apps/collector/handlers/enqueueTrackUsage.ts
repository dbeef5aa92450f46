import type { CurrentViewer } from "@bfmono/apps/bfDb/CurrentViewer.ts";
import type { BfJob } from "@bfmono/apps/bfDb/nodeTypes/BfJob.ts";
import { type TrackUsageEvent, trackUsageJob } from "./trackUsage.ts";

/**
 * Queues a PostHog event as a `track_usage` job instead of sending it inline: the memo's
 * "queue jobs instead of sync calls". The event is checked first, so a malformed one throws
 * a PayloadValidationError here and queues nothing. Inside `bfDb.transaction` the job commits
 * or rolls back with the caller's own writes.
 *
 * @example
 * ```ts
 * // Before:
 * await sendToPostHog(event);
 *
 * // After (the same as `await BfJob.create({ type: "track_usage", payload: { event } }, cv)`):
 * await trackUsage(event, cv);
 * ```
 */
export async function trackUsage(
  event: TrackUsageEvent,
  cv: CurrentViewer,
): Promise<BfJob> {
  return await trackUsageJob.enqueue({ event }, cv);
}
