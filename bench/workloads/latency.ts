import { sleep } from "../lib/clock.ts";
import { settle } from "../lib/db.ts";
import { percentile } from "../lib/stats.ts";
import type { Metrics, RunContext } from "./context.ts";
import {
  enqueue,
  go,
  setupSystem,
  spawnWorkers,
  stopWorkers,
} from "./steps.ts";

/** How long the worker sits idle before the first job, so it is in its steady idle state. */
const IDLE_MS = 1_000;

/**
 * W3: an idle worker; a client sends one job every `latencyIntervalMs`. Each figure is the time
 * from just before the enqueue call (stamped in the payload) to the handler's first statement.
 */
export async function runLatency(ctx: RunContext): Promise<Metrics> {
  const n = ctx.sizes.latencyJobs;
  await setupSystem(ctx);
  await settle(ctx.url);
  const workers = await spawnWorkers(ctx, 1, {
    BENCH_MODE: "latency",
    BENCH_EXPECT: n,
  });
  try {
    await go(workers);
    await sleep(IDLE_MS);
    await enqueue(ctx, "latency", n);
    const event = await workers[0].waitFor(
      (e) => e.event === "latencies",
      30_000,
    );
    const values = event.values as number[];
    return {
      p50Ms: percentile(values, 0.5),
      p95Ms: percentile(values, 0.95),
      p99Ms: percentile(values, 0.99),
      maxMs: Math.max(...values),
      count: values.length,
    };
  } finally {
    await stopWorkers(workers);
  }
}
