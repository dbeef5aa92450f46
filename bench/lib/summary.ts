import type { RunResult } from "./runner.ts";
import { summarize, type Summary } from "./stats.ts";

/** Median and range per scenario, system and metric: summary[variant][system][metric]. */
export type SummaryTable = Record<
  string,
  Record<string, Record<string, Summary>>
>;

/** Summarizes the successful runs. */
export function summarizeRuns(runs: readonly RunResult[]): SummaryTable {
  const grouped: Record<string, Record<string, Record<string, number[]>>> = {};
  for (const run of runs) {
    if (!run.ok) continue;
    const bySystem = (grouped[run.variant] ??= {});
    const byMetric = (bySystem[run.system] ??= {});
    for (const [metric, value] of Object.entries(run.metrics)) {
      (byMetric[metric] ??= []).push(value);
    }
  }
  const table: SummaryTable = {};
  for (const [variant, bySystem] of Object.entries(grouped)) {
    for (const [system, byMetric] of Object.entries(bySystem)) {
      for (const [metric, values] of Object.entries(byMetric)) {
        const s = summarize(values);
        if (s) ((table[variant] ??= {})[system] ??= {})[metric] = s;
      }
    }
  }
  return table;
}
