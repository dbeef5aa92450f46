import type { Sizes } from "./config.ts";
import type { RunResult } from "./runner.ts";
import type { System } from "../systems/system.ts";

const fmt = (x: number) => x.toLocaleString("en-US");

/** The fine print under the table: definitions, configurations, and anything that went wrong. */
export function reportNotes(
  sizes: Sizes,
  systems: readonly System[],
  skipped: readonly string[],
  runs: readonly RunResult[],
  cores: number,
): string[] {
  const drain = fmt(sizes.drainJobs);
  const batch = fmt(sizes.batchSize);
  const single = fmt(sizes.singleJobs);
  const batched = fmt(sizes.batchJobs);
  const every = sizes.latencyIntervalMs;
  const sent = fmt(sizes.latencyJobs);
  const depth = fmt(sizes.depth);
  const unserved = fmt(sizes.unservedJobs);
  const notes = [
    "Every run uses a fresh database (CREATE DATABASE bench_<system>_<random>, dropped after) " +
    "on the same server; it is VACUUM ANALYZEd and CHECKPOINTed before each timed phase.",
    `W1: ${drain} no-op jobs enqueued (batches of ${batch}), then worker process(es) with ` +
    `concurrency ${sizes.concurrency}. The clock starts when the first worker process calls ` +
    "its library's start function (runtime boot and module loading excluded; the library's " +
    "own connect, migration check and startup included; the same for every system) and stops " +
    "at the first database poll (every 5 ms near the end) whose snapshot shows no job of the " +
    "bench's type left unfinished. Peak RSS is VmHWM of the worker process (/proc/PID/status), " +
    "read at the end. WAL per job: pg_wal_lsn_diff of pg_current_wal_lsn() read just before " +
    "the workers' start barrier and again at that last poll, over the jobs drained (the " +
    "worker's startup, the system's own maintenance and autovacuum included); WAL is the " +
    "server's, so anything else writing on the server meanwhile lands in it too.",
    `W2: ${single} awaited single creates, and ${batched} jobs in batches of ${batch}, from one ` +
    "fresh client process (connected and warmed up first).",
    `W3: an idle worker (idle 1 s before the first job); one job every ${every} ms for ${sent} ` +
    "jobs; enqueue→handler start, both stamped with performance.timeOrigin + performance.now().",
    `W4: W1 with, already in the tables, ${depth} retained completed jobs (and, where the ` +
    "system shares its table with other data, as many other rows) and " +
    `${unserved} waiting jobs of a type no bench worker serves (graphile-worker: a task ` +
    "identifier no worker has; pg-boss: a queue nobody works), due before the bench's jobs " +
    "and still waiting when the drain ends; they are bulk-inserted by INSERT ... SELECT " +
    "generate_series in each system's own schema, and the drain check counts only the bench's " +
    "own type.",
    ...systems.map((s) => s.historyNote),
    ...systems.map((s) => s.configNote(sizes.concurrency)),
  ];
  if (runs.some((r) => r.variant.includes("pool"))) {
    notes.push(
      "Through PgBouncer (--pooler): a private PgBouncer 1.18 per run (pool_mode transaction, " +
        "default_pool_size 20, auth trust) in front of the same server; the systems' processes " +
        "(enqueue and workers) connect through it, schema setup and the harness's own reads " +
        "go to the server directly.",
      ...systems.map((s) => s.poolerNote),
    );
  }
  if (systems.some((s) => s.id !== "ours")) {
    notes.push(
      "Peers run under this machine's Node; graphile-worker 0.18.0 and pg-boss 12.38.0 " +
        "declare engines node >= 22 but load and run on it.",
    );
  }
  const busiest = Math.max(...runs.map((r) => r.load));
  if (busiest > cores / 2) {
    notes.push(
      `The machine was busy: 1-minute load average up to ${
        busiest.toFixed(1)
      } on ${cores} ` +
        "cores when a run started; other work on it skews these figures.",
    );
  }
  for (const s of skipped) notes.push(`Not measured: ${s}.`);
  for (const r of runs.filter((r) => !r.ok)) {
    const why = r.error?.split("\n")[0];
    notes.push(`FAILED ${r.variant} rep ${r.rep} ${r.system}: ${why}`);
  }
  return notes;
}
