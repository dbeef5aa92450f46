import { settle } from "../lib/db.ts";
import type { Metrics, RunContext } from "./context.ts";
import { enqueue, setupSystem } from "./steps.ts";

/** W2: one client enqueues `n` jobs, awaited one at a time (`single`) or in batches (`batch`). */
export async function runEnqueue(
  ctx: RunContext,
  mode: "single" | "batch",
): Promise<Metrics> {
  const n = mode === "single" ? ctx.sizes.singleJobs : ctx.sizes.batchJobs;
  await setupSystem(ctx);
  await settle(ctx.url);
  const ms = await enqueue(ctx, mode, n);
  return { jobsPerSec: n / (ms / 1000), seconds: ms / 1000 };
}
