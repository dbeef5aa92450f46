/**
 * Cron expressions with IANA time zones, over the `croner` library: the usual five fields (an
 * optional sixth, leading, for seconds), ranges, steps, lists, month and day names, and the
 * `@hourly`/`@daily`/`@weekly`/`@monthly`/`@yearly` shorthands. Daylight-saving transitions are
 * croner's: a local time skipped by a spring-forward fires once, at the first valid instant
 * after it; one repeated by a fall-back fires once, at its first occurrence.
 *
 * @example
 * ```ts
 * const cron = parseCron("30 2 * * *", "Europe/Berlin");
 * cron.next(new Date("2026-03-29T00:00:00Z")); // 2026-03-29T01:00:00.000Z (03:00 CEST)
 * ```
 *
 * @module
 */
import { Cron } from "croner";

/** A cron expression or time zone that cannot be used; the message says which and why. */
export class CronError extends Error {
  override name = "CronError";
}

/** A parsed cron expression in one time zone. */
export interface CronSchedule {
  readonly expression: string;
  readonly timezone: string;
  /** The first slot strictly after `after`, or null when the expression has no more. */
  next(after: Date): Date | null;
  /** Up to `limit` slots at or before `at`, newest first. */
  latest(at: Date, limit: number): Date[];
  /** Every slot in (`after`, `until`], oldest first, at most `limit`. */
  between(after: Date, until: Date, limit: number): Date[];
}

/** The longest cron expression accepted, in characters. */
export const MAX_CRON_LENGTH = 200;

/** Whether `timezone` is an IANA time zone name this runtime knows. */
export function isTimeZone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}

/** Parses `expression` in `timezone`; a bad one throws a CronError naming the problem. */
export function parseCron(expression: string, timezone: string): CronSchedule {
  if (typeof expression !== "string" || expression.trim().length === 0) {
    throw new CronError("the cron expression is empty");
  }
  if (expression.length > MAX_CRON_LENGTH) {
    throw new CronError(
      `the cron expression is longer than ${MAX_CRON_LENGTH} characters`,
    );
  }
  if (typeof timezone !== "string" || !isTimeZone(timezone)) {
    throw new CronError(
      `unknown time zone ${
        JSON.stringify(timezone)
      } (expected an IANA name such as "Europe/Berlin")`,
    );
  }
  let cron: Cron;
  try {
    cron = new Cron(expression, { timezone, paused: true });
  } catch (error) {
    throw new CronError((error as Error).message);
  }
  return {
    expression,
    timezone,
    next: (after) => cron.nextRun(after) ?? null,
    // croner's previousRuns excludes its reference instant; one ms on includes it.
    latest: (at, limit) => cron.previousRuns(limit, new Date(at.getTime() + 1)),
    between: (after, until, limit) => {
      const slots: Date[] = [];
      let cursor = after;
      while (slots.length < limit) {
        const slot = cron.nextRun(cursor);
        if (!slot || slot.getTime() > until.getTime()) break;
        slots.push(slot);
        cursor = slot;
      }
      return slots;
    },
  };
}
