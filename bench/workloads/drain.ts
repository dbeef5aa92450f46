import { now, sleep } from "../lib/clock.ts";
import { connect, currentWalLsn, settle, walBytesBetween } from "../lib/db.ts";
import { peakRssMb } from "../lib/proc.ts";
import type { Metrics, RunContext } from "./context.ts";
import {
  enqueue,
  go,
  handled,
  setupSystem,
  spawnWorkers,
  stopWorkers,
} from "./steps.ts";

/** Begin polling the database once workers report this share of the backlog handled. */
const POLL_FROM = 0.9;
/** Milliseconds between polls for the last completions. */
const POLL_EVERY_MS = 5;
/** Milliseconds between looks at the workers' progress reports before that. */
const WATCH_EVERY_MS = 10;
/** A drain that makes no progress for this long has failed. */
const STALL_MS = 60_000;

/**
 * W1 / W4: enqueue the backlog, then `processes` workers drain it. Throughput runs from the
 * first worker's "starting" (runtime booted and library loaded, right before its start call) to
 * the first poll whose snapshot shows no bench job left unfinished in the database (W4's
 * `unserved` jobs of another type stay waiting, and are not counted). WAL per job is the
 * server's WAL written from just before the start barrier to that poll, over the jobs drained.
 */
export async function runDrain(
  ctx: RunContext,
  processes: number,
  depth: number,
  unserved = 0,
  limits: { globalConcurrency?: number } = {},
): Promise<Metrics> {
  const n = ctx.sizes.drainJobs;
  await setupSystem(ctx, depth, unserved);
  if (limits.globalConcurrency !== undefined) {
    if (!ctx.system.limitQueue) {
      throw new Error(`${ctx.system.label} has no global concurrency limit`);
    }
    await ctx.system.limitQueue(ctx.url, limits.globalConcurrency);
  }
  await enqueue(ctx, "batch", n);
  await settle(ctx.url);
  const sql = connect(ctx.url);
  const workers = await spawnWorkers(ctx, processes, { BENCH_MODE: "drain" });
  try {
    const walBefore = await currentWalLsn(sql);
    const { start, ready } = await go(workers);
    let end = 0;
    let last = -1;
    let lastChange = now();
    while (end === 0) {
      const dead = workers.find((w) => w.exited);
      if (dead) {
        throw new Error(`${dead.label} exited mid-drain:\n${dead.stderrTail}`);
      }
      const done = workers.reduce((sum, w) => sum + handled(w), 0);
      if (done !== last) [last, lastChange] = [done, now()];
      if (now() - lastChange > STALL_MS) {
        throw new Error(
          `drain stalled at ${done}/${n} handled for ${STALL_MS} ms`,
        );
      }
      const polling = done >= n * POLL_FROM;
      if (polling) {
        const t = now();
        if (await ctx.system.remaining(sql) === 0) end = t;
      }
      if (end === 0) await sleep(polling ? POLL_EVERY_MS : WATCH_EVERY_MS);
    }
    const walBytes = await walBytesBetween(
      sql,
      walBefore,
      await currentWalLsn(sql),
    );
    const rss = workers.map((w) => peakRssMb(w.pid) ?? NaN);
    await stopWorkers(workers); // each reports its final count on the way out
    const seconds = (end - start) / 1000;
    return {
      jobsPerSec: n / seconds,
      seconds,
      startupMs: ready - start,
      rssMb: Math.max(...rss),
      walBytesPerJob: walBytes / n,
      walMb: walBytes / 1048576,
      handled: workers.reduce((sum, w) => sum + handled(w), 0),
    };
  } finally {
    await stopWorkers(workers);
    await sql.end({ timeout: 5 });
  }
}
