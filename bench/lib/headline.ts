import type { SummaryTable } from "./summary.ts";
import type { System } from "../systems/system.ts";

/** Issue's target for W4 at depth: ours at least this share of our own W1 drain. */
export const DEPTH_TARGET = 0.95;

/** A system's W4 drain over its own W1 drain (medians), or undefined when either is missing. */
export function ownDepthRatio(
  table: SummaryTable,
  id: string,
): number | undefined {
  const w4 = table.W4?.[id]?.jobsPerSec;
  const w1 = table.W1?.[id]?.jobsPerSec;
  return w4 && w1 && w1.median !== 0 ? w4.median / w1.median : undefined;
}

/** The figures the issue tracks, for the results JSON: W4 ÷ own W1, and W1's WAL per job. */
export interface Headline {
  depthOverW1: {
    target: number;
    bySystem: Record<string, number>;
    /** Whether ours met the target; null when ours' W1 or W4 was not measured. */
    oursMeetsTarget: boolean | null;
  };
  walBytesPerJobW1: {
    bySystem: Record<string, number>;
    /** Ours ÷ each peer on the medians (below 1: ours writes less WAL per job). */
    oursOverPeer: Record<string, number>;
  };
}

/** Computes the headline figures from the summary table (medians). */
export function headlineFigures(
  table: SummaryTable,
  systems: readonly System[],
): Headline {
  const depth: Record<string, number> = {};
  const wal: Record<string, number> = {};
  for (const s of systems) {
    const r = ownDepthRatio(table, s.id);
    if (r !== undefined) depth[s.id] = r;
    const w = table.W1?.[s.id]?.walBytesPerJob;
    if (w) wal[s.id] = w.median;
  }
  const oursOverPeer: Record<string, number> = {};
  for (const s of systems) {
    if (s.id === "ours" || !wal[s.id] || wal.ours === undefined) continue;
    oursOverPeer[s.id] = wal.ours / wal[s.id];
  }
  return {
    depthOverW1: {
      target: DEPTH_TARGET,
      bySystem: depth,
      oursMeetsTarget: depth.ours === undefined
        ? null
        : depth.ours >= DEPTH_TARGET,
    },
    walBytesPerJobW1: { bySystem: wal, oursOverPeer },
  };
}
