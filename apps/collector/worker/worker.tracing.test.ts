// Tracing (issue 16): a job created inside a span carries that span's context; the worker runs
// it in a `job <type>` span linked to it, with the job's attributes and outcome. Without an
// OpenTelemetry SDK nothing is stored. The SDK is registered per test, as globals, through an
// in-memory exporter.
import assert from "node:assert/strict";
import { z } from "zod";
import {
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  trace,
} from "@opentelemetry/api";
import type {
  InMemorySpanExporter,
  ReadableSpan,
} from "@opentelemetry/sdk-trace-base";
import { registerInMemoryTracing } from "@bfmono/packages/tracing/testing/inMemoryTracing.ts";
import { CurrentViewer } from "@bfmono/apps/bfDb/CurrentViewer.ts";
import { BfJob } from "@bfmono/apps/bfDb/nodeTypes/BfJob.ts";
import { dbTest } from "@bfmono/apps/bfDb/testing/testDatabase.ts";
import { JOB_TRACER_NAME } from "@bfmono/packages/tracing/jobTrace.ts";
import { defineHandler, PermanentJobError } from "./handler.ts";
import { jobRow, makeRunnableNow } from "../../bfDb/testing/jobRows.ts";
import { startTestWorker } from "../testing/testWorker.ts";
import { waitFor } from "../../bfDb/testing/waitFor.ts";

const cv = CurrentViewer.forOrg("org_worker_tracing", "person_producer");

const registerTracing = registerInMemoryTracing;

/** Runs `fn` inside a fresh producer span; returns what it returned and the span's context. */
async function inProducerSpan<T>(
  fn: () => Promise<T>,
): Promise<{ value: T; producer: SpanContext }> {
  return await trace.getTracer("test-producer").startActiveSpan(
    "produce",
    async (span) => {
      try {
        return { value: await fn(), producer: span.spanContext() };
      } finally {
        span.end();
      }
    },
  );
}

function traceparentOf(producer: SpanContext): string {
  return `00-${producer.traceId}-${producer.spanId}-01`;
}

async function finishedSpan(
  exporter: InMemorySpanExporter,
  name: string,
  jobId: string,
): Promise<ReadableSpan> {
  const find = () =>
    exporter.getFinishedSpans().find((s) =>
      s.name === name && s.attributes["job.id"] === jobId
    );
  await waitFor(() => find() !== undefined, `span "${name}" of ${jobId}`, {
    detail: () =>
      JSON.stringify(exporter.getFinishedSpans().map((s) => s.name)),
  });
  return find()!;
}

function assertLinkedTo(span: ReadableSpan, producer: SpanContext): void {
  assert.equal(span.links.length, 1);
  assert.equal(span.links[0].context.traceId, producer.traceId);
  assert.equal(span.links[0].context.spanId, producer.spanId);
  // Linked, not parented: the run is a trace of its own.
  assert.equal(span.parentSpanContext, undefined);
  assert.notEqual(span.spanContext().traceId, producer.traceId);
}

dbTest(
  "a job created in a span carries its context; its run is a span linked to it",
  async () => {
    await using tracing = registerTracing();
    let handlerParent: string | undefined;
    const traced = defineHandler({
      type: "traced",
      schema: z.object({ n: z.number() }),
      process() {
        // The handler's own spans nest under the run's span.
        const child = trace.getTracer("test-handler").startSpan("handler work");
        handlerParent = (child as unknown as ReadableSpan).parentSpanContext
          ?.spanId;
        child.end();
      },
    });
    const { value: job, producer } = await inProducerSpan(() =>
      BfJob.create({ type: "traced", payload: { n: 1 }, queue: "q1" }, cv)
    );
    const expected = { traceparent: traceparentOf(producer) };
    assert.deepEqual((job.props as Record<string, unknown>).trace, expected);
    assert.deepEqual((await jobRow(job.id)).trace, expected);

    await using w = await startTestWorker({
      handlers: [traced],
      config: { queues: ["q1"] },
    });
    await w.waitForStatus(job.id, "completed");
    const span = await finishedSpan(tracing.exporter, "job traced", job.id);
    assert.equal(span.instrumentationScope.name, JOB_TRACER_NAME);
    assert.equal(span.kind, SpanKind.CONSUMER);
    assert.deepEqual(span.attributes, {
      "job.id": job.id,
      "job.type": "traced",
      "job.queue": "q1",
      "job.attempt": 1,
      "job.org": "org_worker_tracing",
      "job.outcome": "completed",
    });
    assert.equal(span.status.code, SpanStatusCode.UNSET);
    assertLinkedTo(span, producer);
    assert.equal(handlerParent, span.spanContext().spanId);
  },
);

dbTest(
  "a failing job's span has status ERROR, the exception and its outcome",
  async () => {
    await using tracing = registerTracing();
    const doomed = defineHandler({
      type: "doomed",
      schema: z.object({}),
      process() {
        throw new PermanentJobError("customer cus_1 does not exist");
      },
    });
    const { value: job, producer } = await inProducerSpan(() =>
      BfJob.create({ type: "doomed", payload: {} }, cv)
    );
    await using w = await startTestWorker({ handlers: [doomed] });
    await w.waitForStatus(job.id, "failed");
    const span = await finishedSpan(tracing.exporter, "job doomed", job.id);
    assert.equal(span.status.code, SpanStatusCode.ERROR);
    assert.equal(span.status.message, "customer cus_1 does not exist");
    assert.equal(span.attributes["job.outcome"], "failed");
    assert.equal(span.attributes["job.permanent"], true);
    assert.equal(span.attributes["job.attempt"], 1);
    const exception = span.events.find((e) => e.name === "exception");
    assert.equal(
      exception?.attributes?.["exception.message"],
      "customer cus_1 does not exist",
    );
    assertLinkedTo(span, producer);
  },
);

dbTest(
  "each attempt of a retried job is a span of its own, every one linked to the producer",
  async () => {
    await using tracing = registerTracing();
    const flaky = defineHandler({
      type: "flaky",
      schema: z.object({}),
      process(_payload, ctx) {
        if (ctx.attempt === 1) throw new Error("backend answered 503");
      },
    });
    const { value: job, producer } = await inProducerSpan(() =>
      BfJob.create({ type: "flaky", payload: {} }, cv)
    );
    await using w = await startTestWorker({ handlers: [flaky] });
    await w.waitForJob(
      job.id,
      (row) => row.status === "available" && row.attempts === 1,
      "the first attempt to fail and be retried",
    );
    await makeRunnableNow(job.id);
    await w.waitForStatus(job.id, "completed");
    const runs = tracing.exporter.getFinishedSpans().filter((s) =>
      s.name === "job flaky"
    );
    assert.deepEqual(
      runs.map((
        s,
      ) => [s.attributes["job.attempt"], s.attributes["job.outcome"]]),
      [[1, "failed"], [2, "completed"]],
    );
    assert.equal(runs[0].status.code, SpanStatusCode.ERROR);
    assert.equal(runs[0].attributes["job.permanent"], false);
    for (const run of runs) assertLinkedTo(run, producer);
  },
);

dbTest(
  "a timed-out run fails with status ERROR and job.abort timeout",
  async () => {
    await using tracing = registerTracing();
    const stuck = defineHandler({
      type: "stuck",
      schema: z.object({}),
      process: (_payload, ctx) =>
        new Promise<void>((resolve) =>
          ctx.signal.addEventListener("abort", () => resolve())
        ),
    });
    const { value: job } = await inProducerSpan(() =>
      BfJob.create({ type: "stuck", payload: {}, maxAttempts: 1 }, cv)
    );
    await using w = await startTestWorker({
      handlers: [stuck],
      config: { jobTimeoutMs: 100 },
    });
    await w.waitForStatus(job.id, "failed");
    const span = await finishedSpan(tracing.exporter, "job stuck", job.id);
    assert.equal(span.status.code, SpanStatusCode.ERROR);
    assert.match(span.status.message!, /timed out/);
    assert.equal(span.attributes["job.outcome"], "failed");
    assert.equal(span.attributes["job.abort"], "timeout");
  },
);

dbTest(
  "unique, period and keyed (createOnce) jobs carry the producer's context too",
  async () => {
    await using _tracing = registerTracing();
    const { value: jobs, producer } = await inProducerSpan(async () => [
      ...await BfJob.createMany([
        { type: "u", payload: {}, unique: { key: "waiting" } },
        { type: "u", payload: {}, unique: { key: "active", scope: "active" } },
        {
          type: "u",
          payload: {},
          unique: { key: "period", scope: "period", periodMs: 60_000 },
        },
      ], cv),
      (await BfJob.createOnce({ type: "u", payload: {} }, "once-key", cv))!,
    ]);
    const expected = { traceparent: traceparentOf(producer) };
    for (const job of jobs) {
      assert.deepEqual(
        (job.props as Record<string, unknown>).trace,
        expected,
        job.id,
      );
      const row = await jobRow(job.id);
      assert.deepEqual(row.trace, expected, job.id);
    }
    // The unique key is still where the unique index looks for it.
    const [waiting, active, period] = await Promise.all(
      jobs.slice(0, 3).map((job) => jobRow(job.id)),
    );
    assert.equal(waiting.uniqueKey, "waiting");
    assert.equal(active.uniqueKey, "active");
    assert.equal(period.uniqueScope, "period");
  },
);

dbTest(
  "without an SDK, or outside any span, a job stores no trace and still runs",
  async () => {
    const plain = defineHandler({
      type: "plain",
      schema: z.object({}),
      process() {},
    });
    await using w = await startTestWorker({ handlers: [plain] });
    const untraced = await BfJob.create({ type: "plain", payload: {} }, cv);
    assert.equal((untraced.props as Record<string, unknown>).trace, undefined);
    assert.equal((await jobRow(untraced.id)).trace, undefined);
    await w.waitForStatus(untraced.id, "completed");

    await using tracing = registerTracing();
    const outsideSpan = await BfJob.create({ type: "plain", payload: {} }, cv);
    assert.equal((await jobRow(outsideSpan.id)).trace, undefined);
    await w.waitForStatus(outsideSpan.id, "completed");
    const span = await finishedSpan(
      tracing.exporter,
      "job plain",
      outsideSpan.id,
    );
    assert.deepEqual(span.links, []);
  },
);
