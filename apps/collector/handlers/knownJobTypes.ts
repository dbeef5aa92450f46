import type { StandardSchemaV1 } from "../worker/standardSchema.ts";
import { JOB_TYPES } from "./jobTypes.ts";

/**
 * Every job type this product knows, with its payload schema: what operators may enqueue, even
 * for types the local worker leaves disabled (their jobs wait for a configured worker).
 */
export const KNOWN_JOB_TYPES: ReadonlyMap<string, StandardSchemaV1> = new Map(
  JOB_TYPES.map((entry) => [entry.type, entry.schema]),
);
