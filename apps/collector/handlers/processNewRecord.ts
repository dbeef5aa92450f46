/**
 * The Poel README's `process_new_record` job: marks a BfRecord of the job's org as processed,
 * with a digest of its data. Re-running it leaves an unchanged record as it was.
 *
 * @module
 */
import { z } from "zod";
import { BfRecord } from "@bfmono/apps/bfDb/nodeTypes/BfRecord.ts";
import { PermanentJobError } from "../worker/handler.ts";
import { defineJob } from "../worker/jobDefinition.ts";
import { canonicalJson, sha256Hex } from "./canonicalJson.ts";

/** The job type name. */
export const PROCESS_NEW_RECORD = "process_new_record";

/** A `process_new_record` payload: which record, optionally its expected type, and metadata. */
export const processNewRecordPayloadSchema = z.object({
  record_id: z.union([
    z.string().min(1).max(200),
    z.number().int().nonnegative(),
  ]),
  record_type: z.string().min(1).max(200).optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
});

/** The SHA-256 (hex) of a record's data in canonical JSON: stable whatever its key order. */
export async function recordDigest(data: unknown): Promise<string> {
  return await sha256Hex(canonicalJson(data));
}

/**
 * The `process_new_record` job type, for producers.
 *
 * @example
 * ```ts
 * await processNewRecord.enqueue({ record_id: record.id, record_type: "song" }, cv);
 * ```
 */
export const processNewRecord = defineJob({
  type: PROCESS_NEW_RECORD,
  schema: processNewRecordPayloadSchema,
});

/** Loads the record in the job's org, checks its type, and stores `processedAt` and `digest`. */
export const processNewRecordHandler = processNewRecord.handler(
  async (payload, ctx) => {
    const id = String(payload.record_id);
    const record = await BfRecord.find(ctx.cv, id);
    if (!record) {
      throw new PermanentJobError(
        `record ${JSON.stringify(id)} not found in org ${
          JSON.stringify(ctx.cv.orgId)
        }`,
      );
    }
    const expected = payload.record_type;
    if (expected !== undefined && record.props.recordType !== expected) {
      throw new PermanentJobError(
        `record ${JSON.stringify(id)} has type ${
          JSON.stringify(record.props.recordType)
        }, not ${JSON.stringify(expected)}`,
      );
    }
    const digest = await recordDigest(record.props.data);
    const fields = {
      recordId: id,
      recordType: record.props.recordType,
      digest,
      metadata: payload.metadata,
    };
    if (record.props.processedAt && record.props.digest === digest) {
      ctx.logger.info("record already processed", fields);
      return;
    }
    ctx.signal.throwIfAborted();
    record.props.processedAt = new Date().toISOString();
    record.props.digest = digest;
    await record.save();
    ctx.logger.info("record processed", fields);
  },
);
