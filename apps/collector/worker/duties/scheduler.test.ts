// The scheduler duty: stores the worker's schedules, fires each slot once however many
// workers run it, and the worker runs what it fired.
import assert from "node:assert/strict";
import { z } from "zod";
import { bfDb } from "@bfmono/apps/bfDb/bfDb.ts";
import { BfJobSchedule } from "@bfmono/apps/bfDb/nodeTypes/BfJobSchedule.ts";
import { dbTest } from "@bfmono/apps/bfDb/testing/testDatabase.ts";
import { waitFor } from "@bfmono/apps/bfDb/testing/waitFor.ts";
import { BfValidationError } from "@bfmono/apps/bfDb/errors.ts";
import { defineHandler } from "../handler.ts";
import { defineSchedule } from "../schedule.ts";
import { startTestWorker } from "../../testing/testWorker.ts";
import type { FiredSlot } from "@bfmono/apps/bfDb/nodeTypes/BfJobSchedule.ts";
import { schedulerDuty } from "./scheduler.ts";

const EVERY_SECOND = defineSchedule({
  name: "every-second",
  cron: "* * * * * *",
  type: "tick",
  payload: { from: "schedule" },
});

async function tickJobs(): Promise<{ run_at: string; status: string }[]> {
  return await bfDb.query(
    `SELECT bfdb_iso(run_at) AS run_at, status FROM bfdb_jobs WHERE type = 'tick' ORDER BY run_at`,
  );
}

dbTest(
  "scheduler: two duties at once store the schedule and fire each slot exactly once",
  async () => {
    const fired: FiredSlot[] = [];
    const errors: unknown[] = [];
    const duties = [0, 1].map(() =>
      schedulerDuty({
        schedules: [EVERY_SECOND],
        onFired: (slots) => fired.push(...slots),
        onError: (_duty, error) => errors.push(error),
        onOk: () => {},
        dutyTimeoutMs: 10_000,
      })
    );
    for (const duty of duties) duty.start(0);
    try {
      await waitFor(
        async () => (await tickJobs()).length >= 3,
        "three slots to fire",
      );
    } finally {
      await Promise.all(duties.map((duty) => duty.stop(5_000)));
    }
    assert.deepEqual(errors, []);
    const jobs = await tickJobs();
    assert.equal(
      new Set(jobs.map((j) => j.run_at)).size,
      jobs.length,
      "one job per slot",
    );
    assert.equal(fired.filter((f) => f.created).length, jobs.length);
    const [stored] = await BfJobSchedule.list(["every-second"]);
    assert.equal(stored.cron, "* * * * * *");
    assert.equal(stored.lastFiredSlot, jobs.at(-1)!.run_at);
  },
);

dbTest(
  "scheduler: a worker fires its schedules and runs the jobs; one without a handler here is left out",
  async () => {
    const ran: unknown[] = [];
    const tick = defineHandler({
      type: "tick",
      schema: z.object({ from: z.string() }),
      process(payload) {
        ran.push(payload);
      },
    });
    const unserved = defineSchedule({
      name: "elsewhere",
      cron: "@hourly",
      type: "not_here",
    });
    await using w = await startTestWorker({
      handlers: [tick],
      schedules: [EVERY_SECOND, unserved],
    });
    await waitFor(() => ran.length >= 1, "a scheduled job to run");
    assert.deepEqual(ran[0], { from: "schedule" });
    await w.waitForLogs("scheduled job enqueued");
    assert.deepEqual((await BfJobSchedule.list()).map((s) => s.name), [
      "every-second",
    ]);
  },
);

Deno.test("defineSchedule: a bad definition throws at once, naming the field", () => {
  assert.throws(
    () =>
      defineSchedule({
        name: "x",
        cron: "* * * * *",
        timezone: "Nowhere/Land",
        type: "t",
      }),
    (error: Error) =>
      error instanceof BfValidationError &&
      error.message.startsWith("BfJobSchedule.timezone:"),
  );
  assert.throws(
    () => defineSchedule({ name: "x", cron: "every hour", type: "t" }),
    /BfJobSchedule.cron:/,
  );
});
