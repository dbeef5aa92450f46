import type { Sizes } from "./config.ts";
import type { RunResult } from "./runner.ts";
import type { System } from "../systems/system.ts";

/** The fine print under the table: definitions, configurations, and anything that went wrong. */
export function reportNotes(
  sizes: Sizes,
  systems: readonly System[],
  skipped: readonly string[],
  runs: readonly RunResult[],
): string[] {
  const n = (x: number) => x.toLocaleString("en-US");
  const notes = [
    `Every run uses a fresh database (CREATE DATABASE bench_<system>_<random>, dropped after) on ` +
    `the same server; the database is VACUUM ANALYZEd and CHECKPOINTed before each timed phase.`,
    `W1: ${n(sizes.drainJobs)} no-op jobs enqueued (batches of ${
      n(sizes.batchSize)
    }), then worker ` +
    `process(es) with concurrency ${sizes.concurrency}. The clock starts when the first worker ` +
    `process calls its library's start function (runtime boot and module loading excluded, ` +
    `the library's own connect/migration check/startup included; the same for every system) and ` +
    `stops at the first database poll (every 5 ms near the end) whose snapshot shows no job ` +
    `left unfinished. Peak RSS is VmHWM of the worker process (/proc/PID/status), read at the end.`,
    `W2: ${n(sizes.singleJobs)} awaited single creates, and ${
      n(sizes.batchJobs)
    } jobs in batches ` +
    `of ${
      n(sizes.batchSize)
    }, from one fresh client process (connected and warmed up first).`,
    `W3: an idle worker (1 s idle before the first job); one job every ` +
    `${sizes.latencyIntervalMs} ms for ${
      n(sizes.latencyJobs)
    } jobs; enqueue→handler start, ` +
    `both stamped with performance.timeOrigin + performance.now().`,
    `W4: W1 with ${
      n(sizes.depth)
    } retained completed jobs (and, where the system shares its ` +
    `table with other data, as many other rows) already in the table.`,
    ...systems.map((s) => s.historyNote),
    `graphile-worker config (its performance docs): concurrentJobs ${sizes.concurrency}, ` +
    `localQueue.size 500, completeJobBatchDelay 0, failJobBatchDelay 0, maxPoolSize ` +
    `${sizes.concurrency + 1}.`,
    `pg-boss config: useListenNotify on and queue notify: true; work() with localConcurrency ` +
    `${sizes.concurrency}, batchSize 10, burstWhenBatchFull (fetch again at once while batches ` +
    `come back full), pollingIntervalSeconds 0.5; pool max ${
      sizes.concurrency + 1
    }.`,
    `Peers run under the system's Node (graphile-worker 0.18.0 and pg-boss 12.38.0 declare ` +
    `engines node >= 22; they load and run on this Node).`,
  ];
  for (const s of skipped) notes.push(`Not measured: ${s}.`);
  const failed = runs.filter((r) => !r.ok);
  for (const r of failed) {
    notes.push(
      `FAILED ${r.variant} rep ${r.rep} ${r.system}: ${
        r.error?.split("\n")[0]
      }`,
    );
  }
  return notes;
}
