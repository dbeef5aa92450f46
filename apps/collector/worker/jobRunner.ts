import type { BfJob } from "@bfmono/apps/bfDb/nodeTypes/BfJob.ts";
import type { Logger } from "@bfmono/packages/logger/logger.ts";
import { JobAbort } from "./abortReasons.ts";
import { type JobHandler, PermanentJobError } from "./handler.ts";
import { parseWithSchema, PayloadValidationError } from "./standardSchema.ts";

/** How one run of a job ended. */
export type JobOutcome =
  | { kind: "completed" }
  | { kind: "failed"; error: string; permanent: boolean }
  /** Shutdown or lost lease: not the job's fault; release it, or leave it to whoever owns it now. */
  | { kind: "interrupted"; abort: JobAbort };

/** Validates the payload and runs the handler until it settles or its signal fires. */
export async function runJob(
  job: BfJob,
  handler: JobHandler,
  logger: Logger,
  signal: AbortSignal,
): Promise<JobOutcome> {
  try {
    const payload = await parseWithSchema(
      handler.type,
      handler.schema,
      job.props.payload,
    );
    signal.throwIfAborted();
    await raceAbort(
      Promise.resolve(handler.process(payload, {
        job,
        jobId: job.id,
        attempt: job.props.attempts,
        logger,
        cv: job.cv,
        signal,
      })),
      signal,
    );
    return { kind: "completed" };
  } catch (error) {
    const abort = signal.aborted && signal.reason instanceof JobAbort
      ? signal.reason
      : null;
    if (abort && abort.kind !== "timeout") {
      return { kind: "interrupted", abort };
    }
    if (abort) {
      return { kind: "failed", error: abort.message, permanent: false };
    }
    const permanent = error instanceof PermanentJobError ||
      error instanceof PayloadValidationError;
    return { kind: "failed", error: describeError(error), permanent };
  }
}

/** Resolves with `work`, or rejects as soon as `signal` fires, whichever comes first. */
function raceAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() =>
      signal.removeEventListener("abort", onAbort)
    );
  });
}

function describeError(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  try {
    return typeof error === "string"
      ? error
      : JSON.stringify(error) ?? String(error);
  } catch {
    return String(error);
  }
}
