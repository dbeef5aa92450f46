import {
  checkQueueName,
  type QueueSettings,
} from "@bfmono/apps/bfDb/jobs/queueSettings.ts";
import { parseDuration, parseInteger, quoteValue, UsageError } from "./args.ts";

/** The NAME argument of a `bft queues` task, checked like any queue name. */
export function parseQueueName(value: string | undefined): string {
  if (value === undefined) throw new UsageError("give a queue NAME");
  try {
    return checkQueueName(value, "NAME");
  } catch (error) {
    throw new UsageError(
      `${(error as Error).message}, got ${quoteValue(value)}`,
    );
  }
}

/** `--concurrency N|off`: a whole number of jobs at once, or no limit (null). */
export function parseConcurrency(value: string): number | null {
  if (value === "off") return null;
  return parseInteger(value, "--concurrency", 0, 1_000_000);
}

/** `--rate COUNT/DURATION|off`, e.g. `100/60s`: at most COUNT starts in any DURATION, or no limit. */
export function parseRate(
  value: string,
): { count: number; periodMs: number } | null {
  if (value === "off") return null;
  const match = /^(\d+)\/(.+)$/.exec(value);
  if (!match) {
    throw new UsageError(
      `--rate must be COUNT/DURATION such as 100/60s, or off; got ${
        quoteValue(value)
      }`,
    );
  }
  const count = parseInteger(match[1], "--rate count", 1, 10_000);
  const periodMs = parseDuration(match[2], "--rate duration");
  if (periodMs < 1 || periodMs > 86_400_000) {
    throw new UsageError("--rate duration must be from 1ms to 1d");
  }
  return { count, periodMs };
}

/** `--fair on|off`: whether orgs with waiting jobs take turns in the queue. */
export function parseFair(value: string): boolean {
  if (value === "on") return true;
  if (value === "off") return false;
  throw new UsageError(`--fair must be on or off, got ${quoteValue(value)}`);
}

/** A queue's limits in words, for one table cell or line. */
export function describeLimits(settings: QueueSettings): string {
  const parts: string[] = [];
  if (settings.paused) parts.push("paused");
  if (settings.globalConcurrency !== null) {
    parts.push(`concurrency ${settings.globalConcurrency}`);
  }
  if (settings.rateLimit) {
    parts.push(
      `rate ${settings.rateLimit.count}/${settings.rateLimit.periodMs}ms`,
    );
  }
  if (settings.fairByOrg) parts.push("fair by org");
  return parts.length > 0 ? parts.join(", ") : "none";
}
