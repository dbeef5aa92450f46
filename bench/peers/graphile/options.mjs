// graphile-worker settings shared by the bench scripts.
import { load } from "../lib/packages.mjs";
import { envInt } from "../lib/proto.mjs";

const { Logger } = await load("graphile-worker");

/** Task identifier every bench job uses. */
export const TASK = "noop";
/** Task identifier of W4's waiting jobs that no bench worker has. */
export const UNSERVED_TASK = "unserved";

/** A logger that keeps stdout for the protocol: warnings and errors only, on stderr. */
export const logger = new Logger(() => (level, message) => {
  if (level === "error" || level === "warning") {
    process.stderr.write(`[graphile-worker ${level}] ${message}\n`);
  }
});

/**
 * Behind a transaction pooler (BENCH_NO_PREPARE=1) graphile-worker must not prepare statements
 * (its `preparedStatements: false`, `noPreparedStatements` for WorkerUtils).
 */
export const noPreparedStatements = process.env.BENCH_NO_PREPARE === "1";

/**
 * Worker preset per the graphile-worker performance docs (worker.graphile.org/docs/performance):
 * localQueue batching on, completion and failure batching on (delay 0), pool = concurrency + 1;
 * behind a pooler, no prepared statements and the poll at BENCH_GRAPHILE_POLL_MS.
 */
export function workerPreset() {
  const concurrency = envInt("BENCH_CONCURRENCY", 10);
  return {
    worker: {
      concurrentJobs: concurrency,
      maxPoolSize: concurrency + 1,
      localQueue: { size: envInt("BENCH_GRAPHILE_LOCAL_QUEUE", 500) },
      completeJobBatchDelay: 0,
      failJobBatchDelay: 0,
      ...(noPreparedStatements ? { preparedStatements: false } : {}),
      ...(process.env.BENCH_GRAPHILE_POLL_MS
        ? { pollInterval: envInt("BENCH_GRAPHILE_POLL_MS", 2000) }
        : {}),
    },
  };
}
