import { BenchProcess, type ProtoEvent } from "../lib/proc.ts";
import type { RunContext } from "./context.ts";

/** Minutes to milliseconds. */
const MIN = 60_000;

/**
 * The environment every bench process of a run gets: through the pooler when the run has one,
 * unless `direct` (schema setup, which is not measured).
 */
export function benchEnv(
  ctx: RunContext,
  extra: Record<string, string | number> = {},
  direct = false,
): Record<string, string> {
  const pooled = direct ? undefined : ctx.pooler;
  const env: Record<string, string> = {
    DATABASE_URL: pooled?.url ?? ctx.url,
    BENCH_CONCURRENCY: String(ctx.sizes.concurrency),
    NO_COLOR: "1",
    ...pooled?.env,
  };
  for (const [k, v] of Object.entries(extra)) env[k] = String(v);
  return env;
}

/** Runs a process to its "done" event and exit; returns the event. */
async function runToDone(
  proc: BenchProcess,
  timeoutMs: number,
): Promise<ProtoEvent> {
  try {
    const done = await proc.waitFor((e) => e.event === "done", timeoutMs);
    const status = await proc.wait(30_000);
    if (!status.success) {
      throw new Error(`${proc.label} exited with code ${status.code}`);
    }
    return done;
  } finally {
    proc.kill();
  }
}

/**
 * Installs the system's schema, the W4 history when `depth` > 0, and `unserved` waiting jobs
 * of a type no bench worker serves.
 */
export async function setupSystem(
  ctx: RunContext,
  depth = 0,
  unserved = 0,
): Promise<void> {
  const proc = BenchProcess.start({
    ...ctx.system.setup(
      benchEnv(ctx, { BENCH_DEPTH: depth, BENCH_UNSERVED: unserved }, true),
    ),
    verbose: ctx.verbose,
  });
  // About 1 ms per prefilled row is very generous.
  await runToDone(proc, 3 * MIN + depth * 1 + unserved * 1);
}

/** Enqueues per `mode` in a fresh client process; returns the milliseconds it reported. */
export async function enqueue(
  ctx: RunContext,
  mode: "single" | "batch" | "latency",
  n: number,
): Promise<number> {
  const proc = BenchProcess.start({
    ...ctx.system.enqueue(benchEnv(ctx, {
      BENCH_MODE: mode,
      BENCH_N: n,
      BENCH_BATCH: ctx.sizes.batchSize,
      BENCH_INTERVAL_MS: ctx.sizes.latencyIntervalMs,
    })),
    verbose: ctx.verbose,
  });
  const done = await runToDone(proc, 2 * MIN + n * 50);
  return Number(done.ms);
}

/** Spawns `count` worker processes and waits until each has loaded its runtime and library. */
export async function spawnWorkers(
  ctx: RunContext,
  count: number,
  extra: Record<string, string | number>,
): Promise<BenchProcess[]> {
  const workers: BenchProcess[] = [];
  try {
    for (let i = 0; i < count; i++) {
      workers.push(BenchProcess.start({
        ...ctx.system.worker(benchEnv(ctx, extra)),
        label: `${ctx.system.id} worker ${i + 1}`,
        verbose: ctx.verbose,
      }));
    }
    for (const w of workers) {
      await w.waitFor((e) => e.event === "loaded", 3 * MIN);
    }
    return workers;
  } catch (e) {
    await stopWorkers(workers);
    throw e;
  }
}

/**
 * Releases the start barrier of every worker at once; returns the earliest "starting" instant
 * (the moment a worker called its library's start function) and the latest "ready" instant.
 */
export async function go(
  workers: BenchProcess[],
): Promise<{ start: number; ready: number }> {
  await Promise.all(workers.map((w) => w.send("go")));
  let start = Infinity;
  let ready = 0;
  for (const w of workers) {
    start = Math.min(
      start,
      Number((await w.waitFor((e) => e.event === "starting", MIN)).t),
    );
    ready = Math.max(
      ready,
      Number((await w.waitFor((e) => e.event === "ready", 2 * MIN)).t),
    );
  }
  return { start, ready };
}

/** Jobs a worker has reported handled so far. */
export function handled(worker: BenchProcess): number {
  for (let i = worker.events.length - 1; i >= 0; i--) {
    const e = worker.events[i];
    if (e.event === "progress") return Number(e.handled);
  }
  return 0;
}

/** Stops workers (SIGTERM, then SIGKILL after a grace period); never throws. */
export async function stopWorkers(workers: BenchProcess[]): Promise<void> {
  await Promise.all(workers.map((w) => w.stop(15_000).catch(() => w.kill())));
}
