/**
 * The test kit for applications that enqueue and run jobs: a fresh database per test, assertions
 * on what was enqueued, and helpers that run jobs through their real handlers and the real
 * worker in the test's own process (claim, run, settle), then say what became of them.
 *
 * @example
 * ```ts
 * import { assertEnqueued, drainJobs, jobTest } from "@bfmono/apps/collector/testing/jobTesting.ts";
 *
 * jobTest("signing up enqueues the welcome email, which then sends", async () => {
 *   await signUp({ email: "ada@example.com" }, cv);
 *   await assertEnqueued({ type: "send_welcome_email", payload: { to: "ada@example.com" } });
 *   const drained = await drainJobs({ handlers: [sendWelcomeEmailHandler] });
 *   assert.equal(drained.completed.length, 1);
 * });
 * ```
 *
 * @module
 */
import { bfDb } from "@bfmono/apps/bfDb/bfDb.ts";
import type { CurrentViewer } from "@bfmono/apps/bfDb/CurrentViewer.ts";
import { migrate } from "@bfmono/apps/bfDb/migrate.ts";
import { BfJob } from "@bfmono/apps/bfDb/nodeTypes/BfJob.ts";
import type { BfRow } from "@bfmono/apps/bfDb/classes/nodeRow.ts";
import { PgliteBackend } from "@bfmono/apps/bfDb/storage/PgliteBackend.ts";
import type { BfDbBackend } from "@bfmono/apps/bfDb/storage/BfDbBackend.ts";
import { withTestDatabase } from "@bfmono/apps/bfDb/testing/testDatabase.ts";
import { productHandlers } from "../handlers/productHandlers.ts";
import type { JobHandler } from "../worker/handler.ts";
import type { EnqueueOptions } from "../worker/jobDefinition.ts";
import { parseWithSchema } from "../worker/standardSchema.ts";
import { startWorker } from "../worker/worker.ts";
import { capturingLogger } from "./capturingLogger.ts";
import { testViewer } from "./testContext.ts";
import type { LogLine } from "./workerProcess.ts";

export { testViewer };

/** Where a {@linkcode jobTest} keeps its data: in-memory PGlite (default) or the test server. */
export type TestBackend = "pglite" | "postgres";

/**
 * `Deno.test` with a fresh, migrated database that bfDb uses for the test's duration: in-memory
 * PGlite unless `backend` is `"postgres"` (a new database on `DATABASE_URL`'s server, dropped
 * after).
 */
export function jobTest(
  name: string,
  fn: () => Promise<void>,
  options: { backend?: TestBackend } = {},
): void {
  Deno.test({
    name,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: () => withJobDatabase(fn, options),
  });
}

/** Runs `fn` with a fresh database given to bfDb (see {@linkcode jobTest}), then drops it. */
export async function withJobDatabase<T>(
  fn: () => Promise<T>,
  options: { backend?: TestBackend } = {},
): Promise<T> {
  if (options.backend === "postgres") return await withTestDatabase(fn);
  const previous: BfDbBackend | undefined = bfDb.isReady
    ? bfDb.backend
    : undefined;
  const backend = await PgliteBackend.openSnapshot(await migratedSnapshot());
  try {
    bfDb.use(backend);
    return await fn();
  } finally {
    if (previous) bfDb.use(previous);
    else await bfDb.close().catch(() => {});
    await backend.close().catch(() => {});
  }
}

let template: Promise<Blob> | undefined;

/** A migrated empty database, made once per process, that each test's database starts from. */
function migratedSnapshot(): Promise<Blob> {
  template ??= (async () => {
    const backend = await PgliteBackend.open();
    try {
      await migrate(backend);
      return await backend.snapshot();
    } finally {
      await backend.close();
    }
  })();
  return template;
}

/** Which waiting jobs an assertion is about. */
export interface EnqueuedMatch {
  type: string;
  /** A partial payload: every key given must match (JSON containment, nested objects too). */
  payload?: Record<string, unknown>;
  /** The org the job belongs to. */
  org?: string;
  queue?: string;
}

/** The waiting (not yet run) jobs that match `match`, oldest first. */
export async function enqueuedJobs(match: EnqueuedMatch): Promise<BfJob[]> {
  const rows = await bfDb.query<BfRow>(
    `SELECT * FROM bfdb_job_rows
     WHERE props->>'status' = 'available' AND props->>'type' = $1
       AND ($2::text IS NULL OR props->'payload' @> $2::jsonb)
       AND ($3::text IS NULL OR bf_oid = $3)
       AND ($4::text IS NULL OR props->>'queue' = $4)
     ORDER BY sort_value`,
    [
      match.type,
      match.payload === undefined ? null : JSON.stringify(match.payload),
      match.org ?? null,
      match.queue ?? null,
    ],
  );
  return rows.map((row) => BfJob.fromJobRow(row));
}

/** Throws unless at least one waiting job matches; returns the matches. */
export async function assertEnqueued(match: EnqueuedMatch): Promise<BfJob[]> {
  const found = await enqueuedJobs(match);
  if (found.length > 0) return found;
  const sameType = await enqueuedJobs({ type: match.type });
  throw new Error(
    `expected a waiting ${match.type} job matching ${
      JSON.stringify(match)
    }; waiting ${match.type} jobs: ${
      sameType.length === 0 ? "none" : JSON.stringify(sameType.map(summary))
    }`,
  );
}

/** Throws if any waiting job matches. */
export async function refuteEnqueued(match: EnqueuedMatch): Promise<void> {
  const found = await enqueuedJobs(match);
  if (found.length === 0) return;
  throw new Error(
    `expected no waiting ${match.type} job matching ${
      JSON.stringify(match)
    }; found ${JSON.stringify(found.map(summary))}`,
  );
}

function summary(job: BfJob) {
  return {
    id: job.id,
    org: job.cv.orgId,
    queue: job.props.queue,
    payload: job.props.payload,
  };
}

/** What {@linkcode drainJobs} ran, by what became of each job. */
export interface DrainReport {
  /** Jobs that completed (their `result`, if any, in `props.result`). */
  completed: BfJob[];
  /** Jobs that failed for good or were cancelled (the dead letter). */
  failed: BfJob[];
  /** Jobs that failed an attempt or snoozed and wait to run again later. */
  retrying: BfJob[];
  /** Every line the worker and the handlers logged. */
  logs: LogLine[];
}

/** What {@linkcode drainJobs} runs. */
export interface DrainOptions {
  /** The handlers to run with; default the product's (`JOB_TYPES`, without settings). */
  handlers?: readonly JobHandler[];
  /** Only jobs of these types (default every type the handlers know). */
  types?: readonly string[];
  /** Only jobs of these queues (default every queue). */
  queues?: readonly string[];
  /** Give up after this long with jobs still due (default 30 s). */
  timeoutMs?: number;
}

/**
 * Runs the waiting jobs that are due, and any jobs they enqueue that are due, through their
 * real handlers and a real worker in this process, until none is due or running; jobs that
 * failed an attempt wait out their backoff and are reported as `retrying`.
 */
export async function drainJobs(
  options: DrainOptions = {},
): Promise<DrainReport> {
  const all = options.handlers ?? productHandlers({}).handlers;
  const handlers = options.types
    ? all.filter((h) => options.types!.includes(h.type))
    : all;
  const types = handlers.map((h) => h.type);
  const [{ since }] = await bfDb.query<{ since: string }>(
    "SELECT bfdb_iso(clock_timestamp()) AS since",
  );
  const { logs, logger } = capturingLogger();
  const worker = await startWorker({
    handlers,
    logger,
    config: {
      concurrency: 5,
      pollIntervalMs: 20,
      leaseMs: 30_000,
      shutdownGraceMs: 5_000,
      ...(options.queues ? { queues: options.queues } : {}),
    },
  });
  try {
    const deadline = Date.now() + (options.timeoutMs ?? 30_000);
    while (await busyJobs(types, options.queues) > 0) {
      if (Date.now() > deadline) {
        throw new Error(
          `drainJobs: jobs still due or running after ${
            options.timeoutMs ?? 30_000
          } ms`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  } finally {
    await worker.stop();
  }
  const touched = async (where: string) =>
    (await bfDb.query<BfRow>(
      `SELECT * FROM bfdb_job_rows
       WHERE props->>'type' = ANY($1::text[]) AND last_updated >= $2::timestamptz
         AND ${where}
       ORDER BY last_updated, bf_gid`,
      [types, since],
    )).map((row) => BfJob.fromJobRow(row));
  return {
    completed: await touched("props->>'status' = 'completed'"),
    failed: await touched("props->>'status' IN ('failed', 'cancelled')"),
    retrying: await touched(
      "props->>'status' = 'available' AND (props->>'attempts')::int > 0",
    ),
    logs,
  };
}

/** Jobs of `types` that are due and waiting, or in flight. */
async function busyJobs(
  types: readonly string[],
  queues: readonly string[] | undefined,
): Promise<number> {
  const [{ n }] = await bfDb.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM bfdb_jobs_active
     WHERE type = ANY($1::text[]) AND ($2::text[] IS NULL OR queue = ANY($2::text[]))
       AND (status IN ('claimed', 'running') OR run_at <= now())`,
    [types, queues ?? null],
  );
  return Number(n);
}

/** What became of one job {@linkcode performJob} ran. */
export interface PerformedJob {
  status: "completed" | "failed" | "retrying";
  /** The job after the run: `props.result`, `props.error`, `props.errors`, attempts. */
  job: BfJob;
  /** The error of the attempt, for a job that did not complete. */
  error?: string;
  /** The lines the handler and worker logged for this job. */
  logs: LogLine[];
}

/**
 * Enqueues one job for `handler` (its payload checked against the handler's schema first) and
 * runs it through the real worker, with a real context (logger, viewer of the job's org,
 * signal), alone: other waiting jobs of the type are left as they are.
 */
export async function performJob(
  handler: JobHandler,
  payload: unknown,
  options: EnqueueOptions & { cv?: CurrentViewer; timeoutMs?: number } = {},
): Promise<PerformedJob> {
  const { cv, timeoutMs, ...enqueue } = options;
  // A queue of its own, so the worker runs this job and nothing else.
  const queue = `perform-${crypto.randomUUID()}`;
  const job = await BfJob.create({
    ...enqueue,
    queue,
    type: handler.type,
    payload: await parseWithSchema(handler.type, handler.schema, payload),
  }, cv ?? testViewer());
  const report = await drainJobs({
    handlers: [handler],
    queues: [queue],
    timeoutMs,
  });
  const after = await BfJob.findX(job.cv, job.id);
  const status = after.props.status === "completed"
    ? "completed"
    : after.props.status === "available"
    ? "retrying"
    : "failed";
  return {
    status,
    job: after,
    ...(status === "completed" ? {} : { error: after.props.error }),
    logs: report.logs.filter((line) => line.jobId === job.id),
  };
}
