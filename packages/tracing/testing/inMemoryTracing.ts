/**
 * An OpenTelemetry SDK for tests: registered as the API's globals (tracer provider, W3C
 * propagator, AsyncLocalStorage context manager) with an in-memory exporter, until disposed.
 *
 * @example
 * ```ts
 * await using tracing = registerInMemoryTracing();
 * // ... run code that makes spans ...
 * const spans = tracing.exporter.getFinishedSpans();
 * ```
 *
 * @module
 */
import { context, propagation, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";

/** Registers the SDK; throws if another is registered already (a test that did not dispose). */
export function registerInMemoryTracing(): AsyncDisposable & {
  exporter: InMemorySpanExporter;
} {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const registered = trace.setGlobalTracerProvider(provider) &&
    propagation.setGlobalPropagator(new W3CTraceContextPropagator()) &&
    context.setGlobalContextManager(
      new AsyncLocalStorageContextManager().enable(),
    );
  if (!registered) {
    throw new Error("another OpenTelemetry SDK is registered as the globals");
  }
  return {
    exporter,
    async [Symbol.asyncDispose]() {
      trace.disable();
      propagation.disable();
      context.disable();
      await provider.shutdown();
    },
  };
}
