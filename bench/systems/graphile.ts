import { nodeScript, type System } from "./system.ts";

/** Task identifier of every bench job, as bench/peers/graphile/options.mjs has it. */
const TASK = "noop";

/** graphile-worker's localQueue.size, as bench/peers/graphile/options.mjs reads it. */
const LOCAL_QUEUE = Deno.env.get("BENCH_GRAPHILE_LOCAL_QUEUE") || "500";

/** graphile-worker 0.18.0 in Node, localQueue batching on (bench/peers/graphile). */
export const graphile: System = {
  id: "graphile",
  label: "graphile-worker 0.18.0",
  historyNote:
    "graphile-worker deletes jobs when they complete, so it keeps no history: its W4 table " +
    'holds only the unserved jobs (task "unserved", which no worker has, due earlier).',

  configNote(c) {
    const pool = c + 1;
    return `graphile-worker config (its performance docs): concurrentJobs ${c}, ` +
      `localQueue.size ${LOCAL_QUEUE}, completeJobBatchDelay 0, failJobBatchDelay 0, ` +
      `maxPoolSize ${pool}; logger at warning.`;
  },
  unavailable: () => Promise.resolve(undefined),
  // Its LISTEN runs on a pool connection, so behind a transaction pooler it hears nothing and
  // finds jobs by polling; there is no setting for a LISTEN connection of its own.
  poolerEnv: (_directUrl, listen) =>
    listen
      ? undefined
      : { BENCH_NO_PREPARE: "1", BENCH_GRAPHILE_POLL_MS: "500" },
  poolerNote:
    "graphile-worker behind the pooler: preparedStatements false (noPreparedStatements " +
    "for WorkerUtils), as its docs require for PgBouncer's transaction mode; its LISTEN goes " +
    "through the pool and so hears nothing there, and it finds jobs by its poll, set to " +
    "pollInterval 500 ms (default 2,000) to match the others; it has no setting for a direct " +
    "LISTEN connection.",
  setup: (env) => nodeScript("graphile/setup.mjs", env, "graphile setup"),
  enqueue: (env) => nodeScript("graphile/enqueue.mjs", env, "graphile enqueue"),
  worker: (env) => nodeScript("graphile/worker.mjs", env, "graphile worker"),
  saturate: (env) =>
    nodeScript("graphile/saturate.mjs", env, "graphile saturate"),
  async remaining(sql) {
    // The bench task's jobs only. graphile-worker has no index on task_id, and a scan of W4's
    // 200,000 unserved rows takes ~15 ms per 5 ms poll; but every other task's job is added in
    // setup, before the bench's, so the bench's are the ones above the highest other id: two
    // primary-key range scans over the bench's rows alone (the backward one stops at the first
    // other task's row). Without other tasks' jobs (W1, W5) the bound is 0.
    const rows = await sql`
      WITH task AS (
        SELECT id FROM graphile_worker._private_tasks WHERE identifier = ${TASK}
      )
      SELECT count(*)::int AS n FROM graphile_worker._private_jobs j
       WHERE j.task_id = (SELECT id FROM task)
         AND j.id > coalesce((SELECT max(o.id) FROM graphile_worker._private_jobs o
                               WHERE o.task_id <> (SELECT id FROM task)), 0)`;
    return rows[0].n;
  },
};
