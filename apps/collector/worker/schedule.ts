import {
  checkScheduleDefinition,
  type ScheduleDefinition,
} from "@bfmono/apps/bfDb/nodeTypes/BfJobSchedule.ts";

export type {
  MissedPolicy,
  ScheduleDefinition,
} from "@bfmono/apps/bfDb/nodeTypes/BfJobSchedule.ts";

/**
 * Declares a recurring job beside its handler: checked now (a bad cron expression, time zone,
 * name or payload throws a BfValidationError naming the field), stored and fired by every
 * worker given it in `startWorker({ schedules })`.
 *
 * @example
 * ```ts
 * export const cleanupSchedule = defineSchedule({
 *   name: "cleanup-auth-tokens",
 *   cron: "0 * * * *",
 *   timezone: "UTC",
 *   type: "cleanup_auth_tokens",
 *   payload: {},
 *   missed: "skip",
 * });
 * ```
 */
export function defineSchedule(
  definition: ScheduleDefinition,
): ScheduleDefinition {
  checkScheduleDefinition(definition);
  return definition;
}
