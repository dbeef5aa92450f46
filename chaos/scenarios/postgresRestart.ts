/**
 * Scenario 3, PostgreSQL restart: stop the server (immediate mode: a crash, every connection
 * dropped) for 10 s, then start it; the workers must reconnect on their own and drain.
 *
 * @module
 */
import type { Scenario } from "../harness.ts";

/** Scenario 3. */
export const postgresRestart: Scenario = {
  id: 3,
  key: "postgres-restart",
  title: "stop PostgreSQL for 10 s, then start it",
  async inject(ctx) {
    ctx.faultStart();
    const start = Date.now();
    await ctx.cluster.stop("immediate");
    ctx.event("PostgreSQL stopped (immediate)");
    try {
      await ctx.sleep(ctx.duration(10_000, 5_000));
    } finally {
      // Whatever happens, the server comes back: later scenarios need it.
      await ctx.cluster.start();
    }
    ctx.event("PostgreSQL started");
    ctx.connectionFault(start, Date.now(), "PostgreSQL restart");
    ctx.faultEnd();
  },
};
