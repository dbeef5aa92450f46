import { nodeScript, type System } from "./system.ts";

/** graphile-worker's localQueue.size, as bench/peers/graphile/options.mjs reads it. */
const LOCAL_QUEUE = Deno.env.get("BENCH_GRAPHILE_LOCAL_QUEUE") || "500";

/** graphile-worker 0.18.0 in Node, localQueue batching on (bench/peers/graphile). */
export const graphile: System = {
  id: "graphile",
  label: "graphile-worker 0.18.0",
  historyNote:
    "graphile-worker deletes jobs when they complete, so it keeps no history: " +
    "its W4 runs on an empty table (W4 = W1 shape).",
  configNote(c) {
    const pool = c + 1;
    return `graphile-worker config (its performance docs): concurrentJobs ${c}, ` +
      `localQueue.size ${LOCAL_QUEUE}, completeJobBatchDelay 0, failJobBatchDelay 0, ` +
      `maxPoolSize ${pool}; logger at warning.`;
  },
  unavailable: () => Promise.resolve(undefined),
  setup: (env) => nodeScript("graphile/setup.mjs", env, "graphile setup"),
  enqueue: (env) => nodeScript("graphile/enqueue.mjs", env, "graphile enqueue"),
  worker: (env) => nodeScript("graphile/worker.mjs", env, "graphile worker"),
  saturate: (env) =>
    nodeScript("graphile/saturate.mjs", env, "graphile saturate"),
  async remaining(sql) {
    const rows =
      await sql`SELECT count(*)::int AS n FROM graphile_worker._private_jobs`;
    return rows[0].n;
  },
};
