/** Median, minimum and maximum of a set of repetitions. */
export interface Summary {
  median: number;
  min: number;
  max: number;
  n: number;
}

/**
 * The value at quantile `q` (0..1) of `values`, by linear interpolation.
 *
 * @example
 * ```ts
 * percentile([1, 2, 3, 4], 0.5); // 2.5
 * ```
 */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Median and range of the finite numbers in `values`, or undefined when there are none. */
export function summarize(values: readonly number[]): Summary | undefined {
  const xs = values.filter((v) => Number.isFinite(v));
  if (xs.length === 0) return undefined;
  return {
    median: percentile(xs, 0.5),
    min: Math.min(...xs),
    max: Math.max(...xs),
    n: xs.length,
  };
}
