/**
 * Wall clock in milliseconds with sub-millisecond resolution, comparable across processes.
 *
 * @example
 * ```ts
 * const t0 = now();
 * ```
 */
export function now(): number {
  return performance.timeOrigin + performance.now();
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
