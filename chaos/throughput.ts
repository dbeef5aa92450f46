/**
 * Throughput from the fake's receive times: completions per second in 1 s buckets, the
 * baseline (median rate before the fault) and the time to recover to it after the fault.
 *
 * @example
 * ```ts
 * const t = recovery(fake.firstReceipts(), { from, faultStart, faultEnd, until });
 * t.baseline; // e.g. 50 (jobs/s)
 * t.recoverySeconds; // 0 = the first second after the fault was already at >= 80% of baseline
 * ```
 *
 * @module
 */

/** Time marks (epoch ms) of one scenario. */
export interface ThroughputWindow {
  /** Start of the baseline (after warm-up). */
  from: number;
  /** The fault begins: the baseline ends here. */
  faultStart: number;
  /** The fault is over (the server is back, the worker restarted, the holders let go). */
  faultEnd: number;
  /** The producer stopped: rates after this say nothing. */
  until: number;
}

/** Throughput figures of one scenario. */
export interface Throughput {
  /** Median jobs/s over the baseline's whole seconds. */
  baseline: number;
  /** Lowest 1 s rate between the fault's start and its end plus recovery (jobs/s). */
  lowest: number;
  /**
   * Whole seconds from the fault's end to the first 1 s bucket at >= `threshold` of the
   * baseline; null when it never got there before the producer stopped.
   */
  recoverySeconds: number | null;
  /** The fraction of the baseline that counts as recovered. */
  threshold: number;
  /** Jobs/s per second from the fault's start, for the JSON report. */
  series: number[];
}

/** Counts `times` (epoch ms) per 1 s bucket of [start, end); a partial last bucket is dropped. */
export function buckets(
  times: readonly number[],
  start: number,
  end: number,
): number[] {
  const n = Math.max(0, Math.floor((end - start) / 1000));
  const counts = new Array<number>(n).fill(0);
  for (const t of times) {
    if (t < start || t >= start + n * 1000) continue;
    counts[Math.floor((t - start) / 1000)]++;
  }
  return counts;
}

/** The median of `values` (0 for none). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Baseline and recovery of completions at `times` over `window`; see {@linkcode Throughput}. */
export function recovery(
  times: readonly number[],
  window: ThroughputWindow,
  threshold = 0.8,
): Throughput {
  const baseline = median(buckets(times, window.from, window.faultStart));
  const after = buckets(times, window.faultEnd, window.until);
  let recoverySeconds: number | null = null;
  for (let i = 0; i < after.length; i++) {
    if (after[i] >= baseline * threshold) {
      recoverySeconds = i;
      break;
    }
  }
  const series = buckets(times, window.faultStart, window.until);
  const lastRelevant =
    Math.floor((window.faultEnd - window.faultStart) / 1000) +
    (recoverySeconds ?? after.length);
  const lowest = series.length === 0
    ? 0
    : Math.min(...series.slice(0, Math.max(1, lastRelevant + 1)));
  return { baseline, lowest, recoverySeconds, threshold, series };
}
