/**
 * Trace context for background jobs, through `@opentelemetry/api` alone: a producer's active
 * span is written down with the job (W3C `traceparent`/`tracestate`), and the job's run gets a
 * span of its own that links back to it.
 *
 * Nothing here configures OpenTelemetry. With no SDK registered the API's globals are no-ops:
 * {@linkcode currentTraceCarrier} returns undefined (so nothing is stored with the job) and
 * {@linkcode withJobSpan} just runs its function. An application that wants traces registers an
 * SDK once at startup, before it creates or runs jobs: a tracer provider
 * (`NodeTracerProvider` from `@opentelemetry/sdk-trace-node`, or `BasicTracerProvider` from
 * `@opentelemetry/sdk-trace-base`) with an OTLP exporter
 * (`@opentelemetry/exporter-trace-otlp-http`), the W3C trace-context propagator and an
 * AsyncLocalStorage context manager (`NodeTracerProvider.register()` sets up both). Or, with
 * no SDK code, Deno's built-in OpenTelemetry (`OTEL_DENO=true`) registers all three itself.
 *
 * @example
 * ```ts
 * // Producer: remember where the job came from.
 * const trace = currentTraceCarrier(); // undefined without an SDK or an active span
 * // Consumer, maybe hours later in another process:
 * await withJobSpan("send_digest", trace, { "job.id": id }, async (span) => {
 *   span.setAttribute("job.outcome", "completed");
 * });
 * ```
 *
 * @module
 */
import {
  type Attributes,
  context,
  INVALID_SPAN_CONTEXT,
  type Link,
  propagation,
  ProxyTracerProvider,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
  type Tracer,
} from "@opentelemetry/api";

/** The instrumentation scope of every job span. */
export const JOB_TRACER_NAME = "bfmono-jobs";

/** A producer's trace context as W3C Trace Context headers, as stored with a job. */
export interface TraceCarrier {
  traceparent: string;
  tracestate?: string;
}

/**
 * Bounds on what a stored carrier may hold: a version-00 `traceparent` is 55 characters (later
 * versions may append fields), and W3C asks that at least 512 characters of `tracestate` be kept.
 */
const MAX_TRACEPARENT_LENGTH = 128;
const MAX_TRACESTATE_LENGTH = 1024;

/**
 * The active trace context as a carrier, or undefined when there is none to record (no SDK or
 * propagator registered, or no active span).
 */
export function currentTraceCarrier(): TraceCarrier | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return traceCarrierOf(carrier);
}

/**
 * `value` as a carrier when it has the shape of one (a string `traceparent` of sane length, an
 * optional string `tracestate`), else undefined: a stored job is data from elsewhere, and a
 * malformed carrier must cost the run nothing but its link.
 */
export function traceCarrierOf(value: unknown): TraceCarrier | undefined {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return undefined;
  }
  const { traceparent, tracestate } = value as Record<string, unknown>;
  if (
    typeof traceparent !== "string" || traceparent.length === 0 ||
    traceparent.length > MAX_TRACEPARENT_LENGTH
  ) {
    return undefined;
  }
  if (
    typeof tracestate === "string" && tracestate.length > 0 &&
    tracestate.length <= MAX_TRACESTATE_LENGTH
  ) {
    return { traceparent, tracestate };
  }
  return { traceparent };
}

/**
 * Runs `run` in a CONSUMER span named `job <type>`, linked to the producer's span in `carrier`
 * (when it holds a valid one); spans `run` starts nest under it. A throw is recorded on the
 * span (status ERROR) and rethrown; the span ends when `run` settles.
 *
 * @example
 * ```ts
 * const outcome = await withJobSpan(job.type, job.trace, { "job.id": job.id }, async (span) => {
 *   const outcome = await handle(job);
 *   span.setAttribute("job.outcome", outcome.kind);
 *   return outcome;
 * });
 * ```
 */
export async function withJobSpan<T>(
  type: string,
  carrier: unknown,
  attributes: Attributes | (() => Attributes),
  run: (span: Span) => Promise<T>,
): Promise<T> {
  // Looked up per run, not cached: a tracer kept from before would outlive a provider replaced
  // since (tests register one each).
  const tracer = jobTracer();
  // No SDK: the span would record nothing and no span could be its child, so none is made (a
  // no-op span, its context and its options were a tenth of what a no-op job allocated).
  if (!tracer) return await run(NO_SPAN);
  const span = tracer.startSpan(`job ${type}`, {
    kind: SpanKind.CONSUMER,
    attributes: typeof attributes === "function" ? attributes() : attributes,
    links: producerLinks(carrier),
    // A root, not a child of whatever is active where the worker loop runs: the producer's
    // span may have ended long ago, and each attempt is a run of its own, so it is a link.
    root: true,
  });
  try {
    return await context.with(
      trace.setSpan(context.active(), span),
      () => run(span),
    );
  } catch (error) {
    recordFailure(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/** The job tracer of the registered SDK, or undefined when none is registered. */
function jobTracer(): Tracer | undefined {
  const provider = trace.getTracerProvider();
  return provider instanceof ProxyTracerProvider
    ? provider.getDelegateTracer(JOB_TRACER_NAME)
    : provider.getTracer(JOB_TRACER_NAME);
}

const NO_SPAN: Span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/** Marks `span` failed: the exception (when it is one) and status ERROR with its message. */
function recordFailure(span: Span, error: unknown): void {
  if (!span.isRecording()) return;
  const message = error instanceof Error
    ? error.message || error.name
    : String(error);
  if (error instanceof Error) span.recordException(error);
  span.setStatus({ code: SpanStatusCode.ERROR, message });
}

/** The link to the producer's span, when `carrier` holds a valid context; none otherwise. */
function producerLinks(carrier: unknown): Link[] | undefined {
  const checked = traceCarrierOf(carrier);
  if (!checked) return undefined;
  const producer = trace.getSpanContext(
    propagation.extract(ROOT_CONTEXT, checked),
  );
  if (!producer || !trace.isSpanContextValid(producer)) return undefined;
  return [{ context: producer }];
}
