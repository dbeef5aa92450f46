import { BfJob } from "@bfmono/apps/bfDb/nodeTypes/BfJob.ts";
import type { ReapOutcome } from "@bfmono/apps/bfDb/jobs/reapExpiredJobs.ts";

/**
 * Returns jobs whose worker died (lease lapsed) to the queue, or dead-letters them; all of them
 * but `exceptIds` (the reaping worker's own finished jobs whose settle is still being written).
 */
export async function reapExpiredLeases(
  exceptIds: readonly string[] = [],
): Promise<ReapOutcome[]> {
  const all: ReapOutcome[] = [];
  while (true) {
    const batch = await BfJob.reapExpired(1_000, exceptIds);
    all.push(...batch);
    if (batch.length < 1_000) return all;
  }
}

/** How often to look for expired leases: twice per lease, bounded to [250 ms, 15 s]. */
export function reaperIntervalMs(leaseMs: number): number {
  return Math.min(15_000, Math.max(250, Math.floor(leaseMs / 2)));
}
