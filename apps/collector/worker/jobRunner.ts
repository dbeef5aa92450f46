import { storableJson } from "@bfmono/apps/bfDb/classes/jsonValue.ts";
import { MAX_SNOOZES } from "@bfmono/apps/bfDb/jobs/snoozeJobs.ts";
import type { BfJob } from "@bfmono/apps/bfDb/nodeTypes/BfJob.ts";
import type { Logger } from "@bfmono/packages/logger/logger.ts";
import { withJobSpan } from "@bfmono/packages/tracing/jobTrace.ts";
import { type Span, SpanStatusCode } from "@opentelemetry/api";
import { JobAbort } from "./abortReasons.ts";
import { type JobHandler, JobSnooze, PermanentJobError } from "./handler.ts";
import { ProgressReporter } from "./progressReporter.ts";
import { parseWithSchema, PayloadValidationError } from "./standardSchema.ts";

/** The largest result a handler may return, as UTF-8 JSON text: 256 KB. */
export const MAX_RESULT_BYTES = 256 * 1024;

/** How one run of a job ended. */
export type JobOutcome =
  /** `resultJson`: what the handler returned, as JSON; absent when it returned nothing. */
  | { kind: "completed"; resultJson?: string }
  | { kind: "failed"; error: string; permanent: boolean }
  /** The handler returned `snooze(ms)`. */
  | { kind: "snoozed"; delayMs: number }
  /**
   * Shutdown, cancellation or lost lease: not the job's fault; release it, or leave it to
   * whoever owns it now.
   */
  | { kind: "interrupted"; abort: JobAbort };

/** Where a run's progress values go (JSON text), fenced by the worker that holds the job. */
export type ProgressWriter = (json: string) => Promise<void>;

/**
 * Validates the payload and runs the handler until it settles or its signal fires; a progress
 * value still waiting is written before this resolves, so the settle comes after it. The run is
 * an OpenTelemetry span `job <type>` linked to the producer's span (see `jobTrace.ts`), a no-op
 * without an SDK.
 */
export function runJob(
  job: BfJob,
  handler: JobHandler,
  logger: Logger,
  signal: AbortSignal,
  writeProgress: ProgressWriter = () => Promise.resolve(),
): Promise<JobOutcome> {
  return withJobSpan(
    job.props.type,
    (job.props as Record<string, unknown>).trace,
    () => ({
      "job.id": job.id,
      "job.type": job.props.type,
      "job.queue": job.props.queue,
      "job.attempt": job.props.attempts,
      "job.org": job.cv.orgId,
    }),
    async (span) => {
      const outcome = await runTraced(
        job,
        handler,
        logger,
        signal,
        writeProgress,
        span,
      );
      recordOutcome(span, outcome, signal);
      return outcome;
    },
  );
}

/** `runJob` inside its span; a handler's error is recorded on `span` as it is caught. */
async function runTraced(
  job: BfJob,
  handler: JobHandler,
  logger: Logger,
  signal: AbortSignal,
  writeProgress: ProgressWriter,
  span: Span,
): Promise<JobOutcome> {
  // Made on the first report: most handlers report none.
  let progress: ProgressReporter | undefined;
  try {
    const payload = await parseWithSchema(
      handler.type,
      handler.schema,
      job.props.payload,
    );
    signal.throwIfAborted();
    const running = handler.process(payload, {
      job,
      jobId: job.id,
      attempt: job.props.attempts,
      logger,
      cv: job.cv,
      signal,
      progress: (value) =>
        (progress ??= new ProgressReporter(writeProgress)).report(value),
    });
    // A handler that returned without a promise has finished: there is nothing to race.
    const returned = isThenable(running)
      ? await raceAbort(running, signal)
      : running;
    return outcomeOf(job, returned);
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
    if (error instanceof Error) span.recordException(error);
    return { kind: "failed", error: describeError(error), permanent };
  } finally {
    if (progress) await progress.close();
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === "function";
}

/**
 * Sets `job.outcome` on the run's span, with `job.abort` when the signal ended the run
 * (interrupted, or failed by the timeout); a failure gets status ERROR with its message.
 */
function recordOutcome(
  span: Span,
  outcome: JobOutcome,
  signal: AbortSignal,
): void {
  if (!span.isRecording()) return;
  span.setAttribute("job.outcome", outcome.kind);
  if (outcome.kind === "interrupted") {
    span.setAttribute("job.abort", outcome.abort.kind);
  }
  if (outcome.kind === "failed") {
    if (signal.aborted && signal.reason instanceof JobAbort) {
      span.setAttribute("job.abort", signal.reason.kind);
    }
    span.setAttribute("job.permanent", outcome.permanent);
    span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.error });
  }
}

/** What a handler's return value makes of its job. */
function outcomeOf(job: BfJob, returned: unknown): JobOutcome {
  if (returned instanceof JobSnooze) {
    const snoozes = job.props.snoozes ?? 0;
    if (snoozes >= MAX_SNOOZES) {
      return {
        kind: "failed",
        error:
          `snoozed ${snoozes} times, the most a job may (MAX_SNOOZES); failing it for good`,
        permanent: true,
      };
    }
    return { kind: "snoozed", delayMs: returned.delayMs };
  }
  if (returned === undefined) return { kind: "completed" };
  const stored = storableJson(returned, "result", MAX_RESULT_BYTES);
  if ("problem" in stored) {
    return {
      kind: "failed",
      error:
        `the handler's return value cannot be stored as the job's result: ${stored.problem}`,
      permanent: true,
    };
  }
  return { kind: "completed", resultJson: stored.json };
}

/** Resolves with `work`, or rejects as soon as `signal` fires, whichever comes first. */
function raceAbort<T>(work: PromiseLike<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, ONCE);
    work.then((value) => {
      signal.removeEventListener("abort", onAbort);
      resolve(value);
    }, (error) => {
      signal.removeEventListener("abort", onAbort);
      reject(error);
    });
  });
}

const ONCE: AddEventListenerOptions = { once: true };

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
