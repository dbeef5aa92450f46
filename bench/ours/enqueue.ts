// Enqueues bench jobs through BfJob.create / BfJob.createMany; modes and timing exactly as
// bench/peers/lib/enqueue.mjs: ms runs from just before the first call to after the last.
import { bfDb } from "@bfmono/apps/bfDb/bfDb.ts";
import { BfJob } from "@bfmono/apps/bfDb/nodeTypes/BfJob.ts";
import { now, sleep } from "../lib/clock.ts";
import { JOB_TYPE } from "./jobTypes.ts";
import { openBench } from "./open.ts";
import { emit, envInt } from "./proto.ts";

const mode = Deno.env.get("BENCH_MODE") ?? "single";
const n = envInt("BENCH_N", 1000);
const batch = envInt("BENCH_BATCH", 1000);
const intervalMs = envInt("BENCH_INTERVAL_MS", 20);

const cv = await openBench();
await bfDb.query("SELECT 1");
const t0 = now();
if (mode === "single") {
  for (let i = 0; i < n; i++) {
    await BfJob.create({ type: JOB_TYPE, payload: { i, t: now() } }, cv);
  }
} else if (mode === "batch") {
  for (let i = 0; i < n; i += batch) {
    const t = now();
    const specs = Array.from(
      { length: Math.min(batch, n - i) },
      (_, k) => ({ type: JOB_TYPE, payload: { i: i + k, t } }),
    );
    await BfJob.createMany(specs, cv);
  }
} else if (mode === "latency") {
  for (let i = 0; i < n; i++) {
    const wait = t0 + i * intervalMs - now();
    if (wait > 0) await sleep(wait);
    await BfJob.create({ type: JOB_TYPE, payload: { i, t: now() } }, cv);
  }
} else {
  throw new Error(`unknown BENCH_MODE ${mode}`);
}
emit("done", { n, ms: now() - t0 });
await bfDb.close();
