/**
 * The Poel README's `cleanup_auth_tokens` job: deletes expired auth tokens of every org, one
 * batch per statement so no statement holds many locks, and logs how many went; and its hourly
 * schedule.
 *
 * @module
 */
import { z } from "zod";
import { BfAuthToken } from "@bfmono/apps/bfDb/nodeTypes/BfAuthToken.ts";
import { defineJob } from "../worker/jobDefinition.ts";
import { defineSchedule } from "../worker/schedule.ts";

/** The job type name. */
export const CLEANUP_AUTH_TOKENS = "cleanup_auth_tokens";

/** At the top of every hour (UTC); an hour every worker was down for is not made up. */
export const cleanupAuthTokensSchedule = defineSchedule({
  name: "cleanup-auth-tokens",
  cron: "0 * * * *",
  timezone: "UTC",
  type: CLEANUP_AUTH_TOKENS,
  payload: {},
  missed: "skip",
});

/** Tokens deleted per statement unless the payload says otherwise. */
export const DEFAULT_CLEANUP_BATCH_SIZE = 1000;

/** A `cleanup_auth_tokens` payload: `{}`, optionally `batchSize`; other keys pass through. */
export const cleanupAuthTokensPayloadSchema = z.looseObject({
  batchSize: z.number().int().min(1).max(100_000).optional(),
});

/**
 * The `cleanup_auth_tokens` job type, for producers (its schedule enqueues it hourly).
 *
 * @example
 * ```ts
 * await cleanupAuthTokens.enqueue({}, CurrentViewer.system());
 * ```
 */
export const cleanupAuthTokens = defineJob({
  type: CLEANUP_AUTH_TOKENS,
  schema: cleanupAuthTokensPayloadSchema,
});

/**
 * Deletes expired tokens batch by batch until a batch comes back short, checking the signal
 * between batches; logs `expired auth tokens deleted` with the total.
 */
export const cleanupAuthTokensHandler = cleanupAuthTokens.handler(
  async (payload, ctx) => {
    const batchSize = payload.batchSize ?? DEFAULT_CLEANUP_BATCH_SIZE;
    let deleted = 0;
    let batches = 0;
    try {
      while (true) {
        ctx.signal.throwIfAborted();
        const count = await BfAuthToken.deleteExpired(batchSize);
        deleted += count;
        batches++;
        if (count < batchSize) break;
      }
    } catch (error) {
      ctx.logger.warn("auth token cleanup stopped early", { deleted, batches });
      throw error;
    }
    ctx.logger.info("expired auth tokens deleted", { deleted, batches });
  },
);
