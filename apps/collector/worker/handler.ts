import type { CurrentViewer } from "@bfmono/apps/bfDb/CurrentViewer.ts";
import type { BfJob } from "@bfmono/apps/bfDb/nodeTypes/BfJob.ts";
import type { Logger } from "@bfmono/packages/logger/logger.ts";
import type { InferOutput, StandardSchemaV1 } from "./standardSchema.ts";

/**
 * What a handler receives besides its payload. Delivery is at-least-once: a job whose worker
 * dies is run again, so handlers use `jobId` to make their side effects idempotent.
 */
export interface JobContext {
  /** The job being run (its props, metadata and attempt number). */
  job: BfJob;
  /** The job's id, stable across attempts: the key for deduplicating side effects. */
  jobId: string;
  /** This attempt's number, from 1. */
  attempt: number;
  /** A logger whose every line carries jobId and jobType. */
  logger: Logger;
  /** A viewer for the job's own org; node reads and writes are scoped to it. */
  cv: CurrentViewer;
  /** Fires on timeout, on shutdown, and when the worker loses the job's lease. */
  signal: AbortSignal;
}

/** The handler contract: a job type, a payload schema, and what to do with a valid payload. */
export interface JobHandler<S extends StandardSchemaV1 = StandardSchemaV1> {
  type: string;
  schema: S;
  process(payload: InferOutput<S>, ctx: JobContext): Promise<void> | void;
}

/** Declares a handler with its payload type inferred from its schema. */
export function defineHandler<S extends StandardSchemaV1>(
  handler: JobHandler<S>,
): JobHandler<S> {
  return handler;
}

/** Thrown by a handler when retrying cannot help: the job is dead-lettered at once. */
export class PermanentJobError extends Error {
  override name = "PermanentJobError";
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}
