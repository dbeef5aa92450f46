/**
 * Test helpers for handlers: a real BfJob row and a JobContext around it, with a logger that
 * keeps its lines in an array. Needs bfDb to have a backend (e.g. inside `dbTest`).
 *
 * @example
 * ```ts
 * dbTest("my handler", async () => {
 *   const { ctx, logs } = await createTestContext({ type: "my_job", payload: { n: 1 } });
 *   await runHandler(myHandler, { n: 1 }, ctx);
 *   assert.equal(logs[0].msg, "done");
 * });
 * ```
 *
 * @module
 */
import { CurrentViewer } from "@bfmono/apps/bfDb/CurrentViewer.ts";
import { BfJob } from "@bfmono/apps/bfDb/nodeTypes/BfJob.ts";
import type { JobContext, JobHandler } from "../worker/handler.ts";
import {
  parseWithSchema,
  type StandardSchemaV1,
} from "../worker/standardSchema.ts";
import { capturingLogger } from "./capturingLogger.ts";
import type { LogLine } from "./workerProcess.ts";

/** Options for {@linkcode createTestContext}. */
export interface TestContextOptions {
  /** The job's type. */
  type: string;
  /** The job's payload; default `{}`. */
  payload?: unknown;
  /** The viewer that creates the job (its org is the job's); default a fresh test org. */
  cv?: CurrentViewer;
  /** The attempt number the context reports; default 1. */
  attempt?: number;
}

/** A context for one handler run, its captured log lines, and the controller of its signal. */
export interface TestContext {
  ctx: JobContext;
  logs: LogLine[];
  controller: AbortController;
  /** Every value the handler passed to `ctx.progress`, in order. */
  progress: unknown[];
}

/** A viewer for a new org with a random id, so tests never share rows by accident. */
export function testViewer(prefix = "org_test"): CurrentViewer {
  return CurrentViewer.forOrg(`${prefix}_${crypto.randomUUID().slice(0, 8)}`);
}

/** Creates a BfJob row and a JobContext for it, as the worker would hand a handler. */
export async function createTestContext(
  options: TestContextOptions,
): Promise<TestContext> {
  const job = await BfJob.create(
    { type: options.type, payload: options.payload ?? {} },
    options.cv ?? testViewer(),
  );
  const captured = capturingLogger();
  const logs = captured.logs;
  const logger = captured.logger.child({
    jobId: job.id,
    jobType: job.props.type,
  });
  const controller = new AbortController();
  const progress: unknown[] = [];
  const ctx: JobContext = {
    job,
    jobId: job.id,
    attempt: options.attempt ?? 1,
    logger,
    cv: job.cv,
    signal: controller.signal,
    progress: (value) => {
      progress.push(value);
      return Promise.resolve();
    },
  };
  return { ctx, logs, controller, progress };
}

/** Validates `payload` with the handler's schema (as the worker does), then runs the handler. */
export async function runHandler<S extends StandardSchemaV1>(
  handler: JobHandler<S>,
  payload: unknown,
  ctx: JobContext,
): Promise<void> {
  const parsed = await parseWithSchema(handler.type, handler.schema, payload);
  await handler.process(parsed, ctx);
}
