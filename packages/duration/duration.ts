/**
 * Durations written the way operators write them: `500ms`, `30s`, `15m`, `12h`, `7d`, `2w`, or
 * several at once (`1h30m`).
 *
 * @example
 * ```ts
 * parseDuration("1h30m"); // 5400000
 * parseDuration("soon"); // null
 * ```
 *
 * @module
 */

const UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** The longest duration accepted: 100 years (longer ones cannot be told apart from "never"). */
export const MAX_DURATION_MS = 100 * 365 * 86_400_000;

/** What a duration looks like, for error messages. */
export const DURATION_EXAMPLES = "a duration like 30s, 15m, 12h, 7d or 1h30m";

/** `value` in milliseconds, or null when it is not a duration of at most 100 years. */
export function parseDuration(value: string): number | null {
  const re = /(\d+)(ms|s|m|h|d|w)/gy;
  let total = 0;
  let end = 0;
  for (const m of value.matchAll(re)) {
    total += Number(m[1]) * UNITS[m[2]];
    end = m.index + m[0].length;
  }
  if (value === "" || end !== value.length) return null;
  if (!Number.isSafeInteger(total) || total > MAX_DURATION_MS) return null;
  return total;
}
