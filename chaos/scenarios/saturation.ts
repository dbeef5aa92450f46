/**
 * Scenario 8, saturation: the producer keeps thousands of jobs waiting so both workers run
 * flat out (issue 19's load), the fake answers at once, and one worker is SIGKILLed mid-run and
 * restarted. Nothing may be lost, and only jobs the killed worker held may run twice.
 *
 * @module
 */
import type { Scenario } from "../harness.ts";
import { heldBy } from "./heldJobs.ts";

/** Jobs kept waiting while the scenario saturates the workers. */
const BACKLOG = 3_000;

/** Scenario 8. */
export const saturation: Scenario = {
  id: 8,
  key: "saturation",
  title: "saturated workers (3,000 jobs kept waiting), SIGKILL one mid-run",
  fakeDelayMs: 0,
  async inject(ctx) {
    ctx.faultStart();
    const stopSaturating = ctx.saturate(BACKLOG);
    ctx.defer(stopSaturating);
    ctx.event(`producer keeps ${BACKLOG} jobs waiting`);
    await ctx.sleep(ctx.duration(20_000, 6_000));
    const victim = ctx.fleet.get("b");
    await ctx.fleet.kill("b");
    ctx.event(`SIGKILLed worker ${victim.name} at saturation`);
    const held = victim.workerId ? await heldBy(ctx.admin, victim.workerId) : 0;
    ctx.note(`the killed worker held ${held} job(s) at the kill`);
    await ctx.sleep(ctx.duration(5_000, 2_000));
    await ctx.startWorker("b");
    await ctx.sleep(ctx.duration(20_000, 6_000));
    await stopSaturating();
    ctx.event("producer back to its steady rate");
    ctx.faultEnd();
  },
};
