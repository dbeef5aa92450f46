import { BfJob } from "@bfmono/apps/bfDb/nodeTypes/BfJob.ts";

/**
 * Renews the leases of the jobs a worker knows it holds (`ids`), in one statement, and returns
 * the ids the database still credits to it; the worker aborts running jobs missing from that set.
 */
export async function renewLeases(
  workerId: string,
  leaseMs: number,
  ids: readonly string[],
): Promise<Set<string>> {
  return new Set(await BfJob.heartbeat(workerId, leaseMs, ids));
}

/** How often to renew: three times per lease, so one missed beat does not lose jobs. */
export function heartbeatIntervalMs(leaseMs: number): number {
  return Math.max(100, Math.floor(leaseMs / 3));
}
