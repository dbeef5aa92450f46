import type { ReapOutcome } from "@bfmono/apps/bfDb/jobs/reapExpiredJobs.ts";
import { BfJob } from "@bfmono/apps/bfDb/nodeTypes/BfJob.ts";
import type { DutyHooks } from "./dutyHooks.ts";
import { Periodic } from "./periodic.ts";

/** Most jobs one reap statement takes; the reaper repeats until fewer come back. */
const REAP_BATCH = 1_000;

/**
 * Returns jobs whose worker died (lease lapsed) to the queue, or dead-letters them; all of them
 * but `exceptIds` (the reaping worker's own finished jobs whose settle is still being written).
 */
export async function reapExpiredLeases(
  exceptIds: readonly string[] = [],
): Promise<ReapOutcome[]> {
  const all: ReapOutcome[] = [];
  while (true) {
    const batch = await BfJob.reapExpired(REAP_BATCH, exceptIds);
    all.push(...batch);
    if (batch.length < REAP_BATCH) return all;
  }
}

/** How often to look for expired leases: twice per lease, bounded to [250 ms, 15 s]. */
export function reaperIntervalMs(leaseMs: number): number {
  return Math.min(15_000, Math.max(250, Math.floor(leaseMs / 2)));
}

/** What the reaper needs from the worker it runs in. */
export interface ReaperHost extends DutyHooks {
  leaseMs: number;
  /**
   * Renews this worker's own leases first: after an outage they may have lapsed while the
   * worker was alive, and its own reaper must not hand out jobs it is still running.
   */
  renewOwnLeases(): Promise<void>;
  /** Finished jobs of this worker whose settle is not written yet: never reaped here. */
  unsettledIds(): string[];
  /** Called with what one pass reaped (possibly nothing). */
  onReaped(outcomes: ReapOutcome[]): void;
}

/**
 * The reaper duty: every interval returns jobs whose lease lapsed to `available` (or `failed`
 * when out of attempts). Safe on every worker at once. Start it with `start(0)`: dead workers'
 * jobs are looked for at once.
 *
 * @example
 * ```ts
 * const reaper = reaperDuty(host);
 * reaper.start(0);
 * await reaper.stop();
 * ```
 */
export function reaperDuty(host: ReaperHost): Periodic {
  return new Periodic({
    name: "reaper",
    intervalMs: reaperIntervalMs(host.leaseMs),
    run: async () => {
      await host.renewOwnLeases();
      const reaped = await reapExpiredLeases(host.unsettledIds());
      host.onOk();
      host.onReaped(reaped);
    },
    onError: (error) => host.onError("reaper", error),
    timeoutMs: host.dutyTimeoutMs,
  });
}
