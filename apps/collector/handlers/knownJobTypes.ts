import {
  CLEANUP_AUTH_TOKENS,
  cleanupAuthTokensPayloadSchema,
} from "./cleanupAuthTokens.ts";
import {
  PROCESS_NEW_RECORD,
  processNewRecordPayloadSchema,
} from "./processNewRecord.ts";
import { TRACK_USAGE, trackUsagePayloadSchema } from "./trackUsage.ts";
import type { StandardSchemaV1 } from "../worker/standardSchema.ts";

/**
 * Every job type this product knows, with its payload schema: what operators may enqueue, even
 * for types the local worker leaves disabled (their jobs wait for a configured worker).
 */
export const KNOWN_JOB_TYPES: ReadonlyMap<string, StandardSchemaV1> = new Map<
  string,
  StandardSchemaV1
>([
  [TRACK_USAGE, trackUsagePayloadSchema],
  [PROCESS_NEW_RECORD, processNewRecordPayloadSchema],
  [CLEANUP_AUTH_TOKENS, cleanupAuthTokensPayloadSchema],
]);
