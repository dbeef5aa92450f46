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
  /** Fires on timeout, on shutdown, on cancellation, and when the worker loses the job's lease. */
  signal: AbortSignal;
  /**
   * Stores a small JSON value (at most 4 KB) as the job's `progress` for operators. Written at
   * most once a second (the latest value wins; the last one is written before the job settles)
   * and fenced: a worker that lost the job writes nothing. Resolves once the value, or a later
   * one, is written; rejects only for a value that cannot be stored.
   */
  progress(value: unknown): Promise<void>;
}

/**
 * What a handler returns to put its job off: see {@linkcode snooze}. Any other return value is
 * stored as the job's `result`.
 */
export class JobSnooze {
  constructor(readonly delayMs: number) {}
}

/** The longest snooze: one year. */
export const MAX_SNOOZE_MS = 365 * 86_400_000;

/**
 * Returned by a handler (`return snooze(60_000)`): the job goes back to waiting and runs again
 * after `ms`, and the attempt it used does not count against `maxAttempts`. A job may snooze
 * at most `MAX_SNOOZES` (1,000) times; after that it fails for good.
 *
 * @example
 * ```ts
 * process: async (payload, ctx) => {
 *   if (!await partnerApiIsUp()) return snooze(30_000);
 *   await sync(payload);
 * }
 * ```
 */
export function snooze(ms: number): JobSnooze {
  if (typeof ms !== "number" || !Number.isFinite(ms) || ms < 0) {
    throw new RangeError(
      `snooze: ms must be a finite number >= 0, got ${String(ms)}`,
    );
  }
  return new JobSnooze(Math.min(MAX_SNOOZE_MS, Math.round(ms)));
}

/** The handler contract: a job type, a payload schema, and what to do with a valid payload. */
export interface JobHandler<S extends StandardSchemaV1 = StandardSchemaV1> {
  type: string;
  schema: S;
  /**
   * The queue its type's jobs go to by default (from its `defineJob`); a worker whose
   * WORKER_QUEUES leaves it out warns at start that it will not run them.
   */
  queue?: string;
  /** Runs the job; what it returns (JSON-serializable, at most 256 KB) is stored as its `result`. */
  process(payload: InferOutput<S>, ctx: JobContext): unknown;
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
