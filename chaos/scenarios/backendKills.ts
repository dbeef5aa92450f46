/**
 * Scenario 4, backend kills: `pg_terminate_backend` on every worker connection (found by their
 * application_name) five times a second for 30 s.
 *
 * @module
 */
import type { Scenario } from "../harness.ts";

/** Scenario 4. */
export const backendKills: Scenario = {
  id: 4,
  key: "backend-kills",
  title: "pg_terminate_backend on the workers' connections 5x/s for 30 s",
  async inject(ctx) {
    const until = Date.now() + ctx.duration(30_000, 8_000);
    let rounds = 0;
    let terminated = 0;
    let errors = 0;
    ctx.faultStart();
    const start = Date.now();
    while (Date.now() < until) {
      try {
        const [row] = await ctx.admin.unsafe<{ n: number }[]>(
          `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::int AS n
           FROM pg_stat_activity
           WHERE application_name IN ('chaos_worker', 'chaos_worker listen')
             AND datname = $1
             AND pid <> pg_backend_pid()`,
          [ctx.database],
        );
        terminated += row.n;
      } catch {
        errors++;
      }
      rounds++;
      await ctx.sleep(200);
    }
    ctx.connectionFault(start, Date.now(), "pg_terminate_backend");
    ctx.note(
      `${rounds} rounds terminated ${terminated} worker backends` +
        (errors ? ` (${errors} rounds failed)` : ""),
    );
    ctx.check(
      "the suite did terminate worker backends",
      terminated >= rounds / 2,
      `${terminated} terminated in ${rounds} rounds`,
    );
    ctx.faultEnd();
  },
};
