// pg-boss settings shared by the bench scripts.
import { load } from "../lib/packages.mjs";
import { databaseUrl, envInt } from "../lib/proto.mjs";

const { PgBoss } = await load("pg-boss");

/** Queue every bench job goes to. */
export const QUEUE = "noop";
/** A second queue holding part of the W4 retained history (same physical table, job_common). */
export const OTHER_QUEUE = "other";
/** A queue no bench worker works: W4's waiting jobs that stay waiting (also job_common). */
export const UNSERVED_QUEUE = "unserved";

/**
 * A started PgBoss instance. Workers turn on LISTEN/NOTIFY (`useListenNotify`); producers
 * (`role: "producer"`) run no maintenance, as pg-boss's docs allow for send-only instances.
 * The pool holds concurrency + 1 connections, or BENCH_POOL with `{ pool: true }` (W5).
 */
export async function openBoss(role, { pool = false } = {}) {
  const worker = role === "worker";
  const boss = new PgBoss({
    connectionString: databaseUrl(),
    // Behind a transaction pooler (BENCH_PGBOSS_LISTEN=0) its LISTEN would be accepted and hear
    // nothing, and with it on pg-boss polls only every notifyPollingInterval (30 s).
    useListenNotify: worker && process.env.BENCH_PGBOSS_LISTEN !== "0",
    supervise: worker,
    schedule: false,
    max: pool ? envInt("BENCH_POOL", 10) : envInt("BENCH_CONCURRENCY", 10) + 1,
  });
  boss.on(
    "error",
    (e) => process.stderr.write(`[pg-boss error] ${e?.message ?? e}\n`),
  );
  boss.on(
    "warning",
    (w) => process.stderr.write(`[pg-boss warning] ${JSON.stringify(w)}\n`),
  );
  await boss.start();
  return boss;
}

/**
 * Work options: `localConcurrency` pollers, each fetching up to `batchSize` jobs and fetching
 * again at once while batches come back full (`burstWhenBatchFull`); NOTIFY wakes idle pollers.
 */
export function workOptions() {
  return {
    localConcurrency: envInt("BENCH_CONCURRENCY", 10),
    batchSize: envInt("BENCH_PGBOSS_BATCH", 50),
    burstWhenBatchFull: true,
    pollingIntervalSeconds: 0.5,
  };
}
