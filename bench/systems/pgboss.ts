import { nodeScript, type System } from "./system.ts";

/** pg-boss's batchSize, as bench/peers/pgboss/options.mjs reads it (default 50). */
const PGBOSS_BATCH = Deno.env.get("BENCH_PGBOSS_BATCH") || "50";

/** pg-boss 12.38.0 in Node, LISTEN/NOTIFY on (bench/peers/pgboss). */
export const pgboss: System = {
  id: "pgboss",
  label: "pg-boss 12.38.0",
  historyNote:
    "pg-boss keeps completed jobs (7 days by default): its W4 table holds the " +
    "depth in completed jobs of the bench queue plus as many in another queue, and the " +
    'unserved jobs waiting (created) in a queue no worker works ("unserved"), all in its one ' +
    "job table (job_common).",
  configNote(c) {
    const b = PGBOSS_BATCH;
    const pool = c + 1;
    return `pg-boss config: useListenNotify on, queues created with notify: true; work() with ` +
      `localConcurrency ${c}, batchSize ${b} (so ${c} × ${b} jobs may be fetched ahead, like ` +
      `graphile-worker's localQueue; each batch's jobs run one after another, so ${c} run at ` +
      `once), burstWhenBatchFull, pollingIntervalSeconds 0.5; pool max ${pool}.`;
  },
  unavailable: () => Promise.resolve(undefined),
  // Unnamed statements and transaction-scoped advisory locks only; LISTEN off, since through
  // the pooler it hears nothing while pg-boss, believing it, polls every 30 s instead of 0.5 s.
  poolerEnv: (_directUrl, listen) =>
    listen ? undefined : { BENCH_PGBOSS_LISTEN: "0" },
  poolerNote:
    "pg-boss behind the pooler: useListenNotify off, otherwise as above (it sends unnamed " +
    "statements and takes transaction-scoped advisory locks only). With it on, its LISTEN is " +
    "accepted by the pooler and hears nothing, and pg-boss, taking the listener for working, " +
    "polls only every notifyPollingInterval (30 s): W3 measured p50 4,976 ms, p99 10,762 ms " +
    "that way (2026-12-07). Off, its poll (pollingIntervalSeconds 0.5) finds the jobs; it has " +
    "no setting for a direct LISTEN connection.",
  setup: (env) => nodeScript("pgboss/setup.mjs", env, "pg-boss setup"),
  enqueue: (env) => nodeScript("pgboss/enqueue.mjs", env, "pg-boss enqueue"),
  worker: (env) => nodeScript("pgboss/worker.mjs", env, "pg-boss worker"),
  saturate: (env) => nodeScript("pgboss/saturate.mjs", env, "pg-boss saturate"),
  async remaining(sql) {
    // The bench queue's unfinished jobs only, through job_i14 (name, state, ...) WHERE live.
    const rows = await sql`
      SELECT count(*)::int AS n FROM pgboss.job
       WHERE name = ${"noop"} AND state IN ('created', 'retry', 'active')`;
    return rows[0].n;
  },
};
