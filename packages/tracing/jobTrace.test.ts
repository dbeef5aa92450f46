// The job trace helpers on their own: what a carrier may look like, what a run's span links to,
// and that without an SDK both ends are no-ops.
import assert from "node:assert/strict";
import { context, SpanStatusCode, trace } from "@opentelemetry/api";
import { registerInMemoryTracing } from "./testing/inMemoryTracing.ts";
import {
  currentTraceCarrier,
  traceCarrierOf,
  withJobSpan,
} from "./jobTrace.ts";

const TRACE_ID = "0af7651916cd43dd8448eb211c80319c";
const SPAN_ID = "b7ad6b7169203331";
const TRACEPARENT = `00-${TRACE_ID}-${SPAN_ID}-01`;

const registerTracing = registerInMemoryTracing;

Deno.test("traceCarrierOf keeps a carrier's shape and nothing else", () => {
  assert.deepEqual(traceCarrierOf({ traceparent: TRACEPARENT }), {
    traceparent: TRACEPARENT,
  });
  assert.deepEqual(
    traceCarrierOf({ traceparent: TRACEPARENT, tracestate: "a=1", baggage: 1 }),
    { traceparent: TRACEPARENT, tracestate: "a=1" },
  );
  // A tracestate that is not a sane string is dropped, the traceparent kept.
  assert.deepEqual(
    traceCarrierOf({ traceparent: TRACEPARENT, tracestate: 7 }),
    { traceparent: TRACEPARENT },
  );
  assert.deepEqual(
    traceCarrierOf({ traceparent: TRACEPARENT, tracestate: "x".repeat(2000) }),
    { traceparent: TRACEPARENT },
  );
  for (
    const bad of [
      undefined,
      null,
      "00-abc",
      [TRACEPARENT],
      {},
      { traceparent: 42 },
      { traceparent: "" },
      { traceparent: "0".repeat(129) },
    ]
  ) {
    assert.equal(traceCarrierOf(bad), undefined, JSON.stringify(bad));
  }
});

Deno.test("without an SDK: no carrier, and withJobSpan just runs", async () => {
  assert.equal(currentTraceCarrier(), undefined);
  const result = await withJobSpan(
    "t",
    { traceparent: TRACEPARENT },
    { "job.id": "j1" },
    (span) => {
      assert.equal(span.isRecording(), false);
      return Promise.resolve(42);
    },
  );
  assert.equal(result, 42);
});

Deno.test("with an SDK: the carrier is the active span's, and the run links to it", async () => {
  await using tracing = registerTracing();
  assert.equal(currentTraceCarrier(), undefined, "no active span");
  const tracer = trace.getTracer("test");
  const producer = tracer.startSpan("produce");
  const carrier = context.with(
    trace.setSpan(context.active(), producer),
    () => currentTraceCarrier(),
  );
  producer.end();
  const { traceId, spanId } = producer.spanContext();
  assert.deepEqual(carrier, { traceparent: `00-${traceId}-${spanId}-01` });

  await withJobSpan("t", carrier, { "job.id": "j1" }, async () => {});
  const [run] = tracing.exporter.getFinishedSpans().filter((s) =>
    s.name === "job t"
  );
  assert.equal(run.links[0].context.traceId, traceId);
  assert.equal(run.links[0].context.spanId, spanId);
  assert.equal(run.links[0].context.isRemote, true);
});

Deno.test("a malformed or invalid carrier costs the run only its link", async () => {
  await using tracing = registerTracing();
  for (
    const carrier of [
      { traceparent: "nonsense" },
      { traceparent: `00-${"0".repeat(32)}-${SPAN_ID}-01` },
      "not an object",
    ]
  ) {
    await withJobSpan("bad", carrier, {}, async () => {});
  }
  const runs = tracing.exporter.getFinishedSpans();
  assert.equal(runs.length, 3);
  for (const run of runs) assert.deepEqual(run.links, []);
});

Deno.test("a throw is recorded on the span and rethrown", async () => {
  await using tracing = registerTracing();
  await assert.rejects(
    withJobSpan("boom", undefined, {}, () => Promise.reject(new Error("no"))),
    /no/,
  );
  const [run] = tracing.exporter.getFinishedSpans();
  assert.equal(run.status.code, SpanStatusCode.ERROR);
  assert.equal(run.status.message, "no");
  assert.equal(run.events[0].name, "exception");
});
