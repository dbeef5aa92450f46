import { now, sleep } from "../lib/clock.ts";
import { connect, settle } from "../lib/db.ts";
import { percentile } from "../lib/stats.ts";
import type { Metrics, RunContext } from "./context.ts";
import { benchEnv, go, setupSystem, stopWorkers } from "./steps.ts";
import { BenchProcess, type ProtoEvent } from "../lib/proc.ts";

/** Concurrency of W5's worker: the shape that collapsed (issue 19). */
const W5_CONCURRENCY = 32;
/** The one pool the producer and worker share. */
const W5_POOL = 10;
/** Jobs the producer keeps waiting. */
const W5_TARGET = 4_000;
/** Width of the windows durable completions are counted in. */
const WINDOW_S = 10;

/** The newest "progress" event of a W5 process. */
function lastProgress(proc: BenchProcess): ProtoEvent | undefined {
  for (let i = proc.events.length - 1; i >= 0; i--) {
    if (proc.events[i].event === "progress") return proc.events[i];
  }
  return undefined;
}

/**
 * W5, sustained saturation: one process holds a producer that keeps ~4,000 jobs waiting and a
 * worker at concurrency 32, on one pool of 10, for `sizes.saturationSeconds`. Every second the
 * harness counts the jobs the database still holds unfinished; created minus that is the
 * durable completions, counted per 10 s window. Reports the median and lowest window, the first
 * and last minute, pickup p99 (enqueue to handler start), jobs run more than once, and the
 * database's size and dead rows at the end.
 */
export async function runSaturation(ctx: RunContext): Promise<Metrics> {
  await setupSystem(ctx);
  await settle(ctx.url);
  const sql = connect(ctx.url);
  const proc = BenchProcess.start({
    ...ctx.system.saturate(benchEnv(ctx, {
      BENCH_CONCURRENCY: W5_CONCURRENCY,
      BENCH_POOL: W5_POOL,
      BENCH_TARGET: W5_TARGET,
    })),
    label: `${ctx.system.id} saturate`,
    verbose: ctx.verbose,
  });
  try {
    await proc.waitFor((e) => e.event === "loaded", 3 * 60_000);
    const { start } = await go([proc]);
    const samples: { t: number; durable: number }[] = [];
    const end = start + ctx.sizes.saturationSeconds * 1000;
    for (let t = start + 1000; t <= end; t += 1000) {
      await sleep(Math.max(0, t - now()));
      if (proc.exited) {
        throw new Error(`${proc.label} exited:\n${proc.stderrTail}`);
      }
      const created = Number(lastProgress(proc)?.created ?? 0);
      const remaining = await ctx.system.remaining(sql);
      samples.push({ t: now(), durable: created - remaining });
    }
    await stopWorkers([proc]);
    const summary = proc.events.find((e) => e.event === "saturation");
    if (!summary) throw new Error(`${proc.label} sent no summary`);
    const windows: number[] = [];
    for (let i = WINDOW_S; i < samples.length; i += WINDOW_S) {
      const a = samples[i - WINDOW_S];
      const b = samples[i];
      windows.push((b.durable - a.durable) / ((b.t - a.t) / 1000));
    }
    const perMinute = 60 / WINDOW_S;
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    await sleep(2_000); // the server's table statistics land asynchronously
    const [size] = await sql`
      SELECT pg_database_size(current_database())::float8 / 1048576 AS mb,
             (SELECT coalesce(sum(n_dead_tup), 0) FROM pg_stat_user_tables)::float8 AS dead`;
    return {
      completionsMedian: percentile(windows, 0.5),
      completionsLowest: Math.min(...windows),
      firstMinute: mean(windows.slice(0, perMinute)),
      lastMinute: mean(windows.slice(-perMinute)),
      pickupP99Ms: Number(summary.pickupP99Ms),
      ranTwice: Number(summary.ranTwice),
      databaseMb: Number(size.mb),
      deadRows: Number(size.dead),
      handled: Number(summary.handled),
    };
  } finally {
    await stopWorkers([proc]);
    await sql.end({ timeout: 5 });
  }
}
