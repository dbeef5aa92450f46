/**
 * Scenario 2, repeated crashes: for a minute, every few seconds SIGKILL a worker (the two in
 * turn) and start a replacement at once, so a worker may die while booting or migrating too.
 *
 * @module
 */
import type { Scenario } from "../harness.ts";

/** Scenario 2. */
export const repeatedCrashes: Scenario = {
  id: 2,
  key: "repeated-crashes",
  title: "SIGKILL and restart a worker every few seconds for a minute",
  async inject(ctx) {
    const until = Date.now() + ctx.duration(60_000, 12_000);
    const every = ctx.duration(4_000, 3_000);
    let kills = 0;
    ctx.faultStart();
    for (let i = 0; Date.now() < until; i++) {
      const slot = i % 2 === 0 ? "b" : "a";
      const victim = ctx.fleet.get(slot);
      await ctx.fleet.kill(slot);
      kills++;
      ctx.event(
        `SIGKILLed worker ${victim.name}${
          victim.readyAt ? "" : " (still booting)"
        }`,
      );
      ctx.fleet.start(slot);
      await ctx.sleep(every);
    }
    // Both replacements must come up before the fault counts as over.
    for (const slot of ["a", "b"]) {
      const proc = ctx.fleet.get(slot);
      if (!proc.readyAt) await proc.ready(45_000);
    }
    ctx.note(`${kills} SIGKILLs`);
    ctx.faultEnd();
  },
};
