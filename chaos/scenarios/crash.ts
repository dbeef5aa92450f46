/**
 * Scenario 1, crash: SIGKILL one of two workers mid-run and restart it 10 s later. The jobs it
 * held must run again once their leases lapse; the other worker carries the load meanwhile.
 *
 * @module
 */
import type { Scenario } from "../harness.ts";
import { heldBy } from "./heldJobs.ts";

/** Scenario 1. */
export const crash: Scenario = {
  id: 1,
  key: "crash",
  title: "SIGKILL one of two workers, restart it 10 s later",
  async inject(ctx) {
    const victim = ctx.fleet.get("b");
    ctx.faultStart();
    await ctx.fleet.kill("b");
    ctx.event(`SIGKILLed worker ${victim.name}`);
    const held = victim.workerId ? await heldBy(ctx.admin, victim.workerId) : 0;
    ctx.note(`the killed worker held ${held} job(s) at the kill`);
    await ctx.sleep(ctx.duration(10_000, 4_000));
    await ctx.startWorker("b");
    ctx.faultEnd();
  },
};
