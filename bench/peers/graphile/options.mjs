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
 * Worker preset per the graphile-worker performance docs (worker.graphile.org/docs/performance):
 * localQueue batching on, completion and failure batching on (delay 0), pool = concurrency + 1.
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
    },
  };
}
