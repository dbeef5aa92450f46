/**
 * The memo's `track_usage` job: sends one analytics event to PostHog's capture API.
 *
 * Delivery is at-least-once, so every attempt sends the same `uuid` (the event's own, else the
 * job id, a UUIDv7) and the same `timestamp` (the event's own, else when the job was created).
 * PostHog drops events whose uuid it has already seen for the same event, person and day, so a
 * retried capture is not counted twice, even when the retry lands after midnight.
 *
 * @module
 */
import { z } from "zod";
import { type JobHandler, PermanentJobError } from "../worker/handler.ts";
import { defineJob } from "../worker/jobDefinition.ts";

/** One analytics event, as producers describe it (the memo's `event`). */
export const trackUsageEventSchema = z.object({
  event: z.string().min(1).max(200),
  distinctId: z.string().min(1).max(200),
  properties: z.record(z.string(), z.unknown()).optional(),
  timestamp: z.iso.datetime({ offset: true }).optional(),
  uuid: z.uuid().optional(),
});

/** A `track_usage` payload: `{ event }`. */
export const trackUsagePayloadSchema = z.object({
  event: trackUsageEventSchema,
});

/** An event as producers pass it to `trackUsage`. */
export type TrackUsageEvent = z.input<typeof trackUsageEventSchema>;

/** The job type name. */
export const TRACK_USAGE = "track_usage";

/** The `track_usage` job type, for producers (see also `trackUsage` in enqueueTrackUsage.ts). */
export const trackUsageJob = defineJob({
  type: TRACK_USAGE,
  schema: trackUsagePayloadSchema,
});

/** Where and how to reach PostHog. */
export interface TrackUsageOptions {
  /** PostHog base URL, e.g. `https://us.i.posthog.com` (`POSTHOG_HOST`). */
  host: string;
  /** The project API key (`POSTHOG_API_KEY`). */
  apiKey: string;
  /** The fetch to use; defaults to the global one (tests may inject their own). */
  fetch?: typeof fetch;
  /** How long one capture request may take before it counts as a retryable failure; default 10 s. */
  requestTimeoutMs?: number;
}

const EXCERPT_CHARS = 200;

/**
 * Builds the `track_usage` handler for one PostHog project.
 *
 * @example
 * ```ts
 * const handler = createTrackUsageHandler({ host: "https://us.i.posthog.com", apiKey: "phc_…" });
 * new HandlerRegistry([handler]);
 * ```
 */
export function createTrackUsageHandler(
  options: TrackUsageOptions,
): JobHandler<typeof trackUsagePayloadSchema> {
  const endpoint = captureEndpoint(options.host);
  if (typeof options.apiKey !== "string" || options.apiKey.trim() === "") {
    throw new TypeError(
      "createTrackUsageHandler: apiKey must be a non-empty string",
    );
  }
  const apiKey = options.apiKey.trim();
  const doFetch = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.requestTimeoutMs ?? 10_000;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) {
    throw new TypeError(
      "createTrackUsageHandler: requestTimeoutMs must be a positive integer",
    );
  }

  return trackUsageJob.handler(
    async ({ event }, ctx) => {
      const body = {
        api_key: apiKey,
        event: event.event,
        distinct_id: event.distinctId,
        properties: event.properties,
        timestamp: event.timestamp ?? ctx.job.metadata.createdAt.toISOString(),
        uuid: event.uuid ?? ctx.jobId,
      };
      const signal = AbortSignal.any([
        ctx.signal,
        AbortSignal.timeout(timeoutMs),
      ]);
      let response: Response;
      try {
        response = await doFetch(endpoint, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
          signal,
        });
      } catch (error) {
        ctx.signal.throwIfAborted();
        const reason = signal.aborted
          ? `no answer within ${timeoutMs} ms`
          : `network error: ${
            error instanceof Error ? error.message : String(error)
          }`;
        throw new Error(`PostHog capture failed: ${reason}`, { cause: error });
      }
      const excerpt = await bodyExcerpt(response);
      if (response.ok) {
        ctx.logger.debug("event captured", {
          uuid: body.uuid,
          status: response.status,
        });
        return;
      }
      const message = `PostHog capture answered ${response.status}${
        excerpt ? `: ${excerpt}` : ""
      }`;
      if (isRetryable(response.status)) throw new Error(message);
      throw new PermanentJobError(message);
    },
  );
}

/** 5xx, 429 (rate limited) and 408 (request timeout) may pass on retry; other 4xx will not. */
function isRetryable(status: number): boolean {
  return status >= 500 || status === 429 || status === 408 || status < 400;
}

/** `${host}/i/v0/e/`, keeping any path prefix (a reverse proxy) and query of `host`. */
function captureEndpoint(host: string): string {
  let url: URL | undefined;
  try {
    url = new URL(String(host).trim());
  } catch {
    // reported below
  }
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) {
    throw new TypeError(
      `createTrackUsageHandler: host must be an http(s) URL, got ${
        JSON.stringify(host)
      }`,
    );
  }
  url.pathname = `${url.pathname.replace(/\/+$/, "")}/i/v0/e/`;
  url.hash = "";
  return url.toString();
}

/** The first characters of a response body on one line; empty when it cannot be read. */
async function bodyExcerpt(response: Response): Promise<string> {
  if (!response.body) return "";
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  try {
    while (text.length <= EXCERPT_CHARS * 4) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } catch {
    // an unreadable body leaves what was read
  } finally {
    await reader.cancel().catch(() => {});
  }
  const oneLine = text.replace(/\s+/g, " ").trim();
  return oneLine.length > EXCERPT_CHARS
    ? `${oneLine.slice(0, EXCERPT_CHARS)}…`
    : oneLine;
}
