/**
 * Runs a `Worker` in the test process with test handlers and a logger that keeps its lines, and
 * stops it on dispose. Needs bfDb to have a migrated backend (e.g. inside `dbTest`).
 *
 * @example
 * ```ts
 * dbTest("runs a job", async () => {
 *   await using w = await startTestWorker({ handlers: [echo] });
 *   const job = await BfJob.create({ type: "echo", payload: {} }, cv);
 *   await w.waitForStatus(job.id, "completed");
 * });
 * ```
 *
 * @module
 */
import type { JobHandler } from "../worker/handler.ts";
import type { StandardSchemaV1 } from "../worker/standardSchema.ts";
import type { WorkerLoopConfig } from "../worker/loopConfig.ts";
import {
  startWorker,
  type StartWorkerOptions,
  type Worker,
} from "../worker/worker.ts";
import { capturingLogger } from "./capturingLogger.ts";
import { type JobRow, jobRow } from "../../bfDb/testing/jobRows.ts";
import { waitFor } from "../../bfDb/testing/waitFor.ts";
import type { LogLine } from "./workerProcess.ts";

/** Loop settings for tests: short lease, quick fallback poll, short grace; the rest default. */
export const TEST_LOOP_CONFIG: Partial<WorkerLoopConfig> = {
  concurrency: 5,
  jobTimeoutMs: 60_000,
  leaseMs: 3_000,
  pollIntervalMs: 50,
  shutdownGraceMs: 1_000,
};

/** A worker under test, its log lines, and helpers to wait on it; stops on dispose. */
export interface TestWorker extends AsyncDisposable {
  worker: Worker;
  logs: LogLine[];
  /** Waits until the stored job has `status`, and returns its row. */
  waitForStatus(id: string, status: string): Promise<JobRow>;
  /**
   * Waits until `count` lines with `msg` were logged, and returns them. A job's settle is
   * logged (and counted in metrics) when the worker sees the write's answer, which can be a
   * moment after another connection already sees the row settled.
   */
  waitForLogs(msg: string, count?: number): Promise<LogLine[]>;
  /** Waits until `check(row)` holds for the stored job, and returns the row. */
  waitForJob(
    id: string,
    check: (row: JobRow) => boolean,
    what: string,
  ): Promise<JobRow>;
}

/** Starts a worker with `handlers`; `config` overrides {@linkcode TEST_LOOP_CONFIG}. */
export async function startTestWorker(options: {
  // deno-lint-ignore no-explicit-any
  handlers: readonly JobHandler<any>[];
  config?: Partial<WorkerLoopConfig>;
  schedules?: StartWorkerOptions["schedules"];
  workerId?: string;
}): Promise<TestWorker> {
  const { logs, logger } = capturingLogger();
  const worker = await startWorker({
    handlers: options.handlers as readonly JobHandler<StandardSchemaV1>[],
    config: { ...TEST_LOOP_CONFIG, ...options.config },
    logger,
    workerId: options.workerId,
    schedules: options.schedules ?? [],
  });
  const waitForJob = async (
    id: string,
    check: (row: JobRow) => boolean,
    what: string,
  ) => {
    let row: JobRow | undefined;
    await waitFor(async () => check(row = await jobRow(id)), what, {
      detail: () => `last row: ${JSON.stringify(row)}`,
    });
    return row!;
  };
  const waitForLogs = async (msg: string, count = 1) => {
    const matching = () => logs.filter((line) => line.msg === msg);
    await waitFor(
      () => matching().length >= count,
      `${count} log line(s) "${msg}"`,
      { detail: () => `saw ${matching().length}` },
    );
    return matching();
  };
  return {
    worker,
    logs,
    waitForLogs,
    waitForJob,
    waitForStatus: (id, status) =>
      waitForJob(
        id,
        (row) => row.status === status,
        `job ${id} to be ${status}`,
      ),
    [Symbol.asyncDispose]: () => worker.stop(),
  };
}
