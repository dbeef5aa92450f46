import {
  type VacuumCheck,
  vacuumQueueTablesIfNeeded,
} from "@bfmono/apps/bfDb/jobs/vacuumQueueTables.ts";
import type { DutyHooks } from "./dutyHooks.ts";
import { Periodic } from "./periodic.ts";

/** How often the vacuumer looks at the queue's dead row versions. */
export const VACUUM_CHECK_INTERVAL_MS = 10_000;

/**
 * Dead row versions that make it vacuum: about two seconds of a saturated drain. Fewer would
 * vacuum a small table over and over; many more let the claim index swell between passes.
 */
export const VACUUM_MIN_DEAD_ROWS = 20_000;

/** What the vacuumer needs from the worker it runs in. */
export interface VacuumerHost extends DutyHooks {
  /** Called after each pass that vacuumed. */
  onVacuumed(check: VacuumCheck, ms: number): void;
}

/**
 * The vacuumer duty: every 10 s, when the server's autovacuum is off, vacuums the queue's
 * churned tables once they hold {@linkcode VACUUM_MIN_DEAD_ROWS} dead row versions (see
 * `vacuumQueueTablesIfNeeded`); with autovacuum on it only looks. Safe on every worker at once.
 *
 * @example
 * ```ts
 * const vacuumer = vacuumerDuty({ onVacuumed, onError, onOk, dutyTimeoutMs: 10_000 });
 * vacuumer.start();
 * await vacuumer.stop();
 * ```
 */
export function vacuumerDuty(host: VacuumerHost): Periodic {
  return new Periodic({
    name: "vacuumer",
    intervalMs: VACUUM_CHECK_INTERVAL_MS,
    run: async () => {
      const started = performance.now();
      const check = await vacuumQueueTablesIfNeeded(VACUUM_MIN_DEAD_ROWS);
      host.onOk();
      if (check.vacuumed) {
        host.onVacuumed(check, Math.round(performance.now() - started));
      }
    },
    onError: (error) => host.onError("vacuumer", error),
    timeoutMs: host.dutyTimeoutMs,
  });
}
