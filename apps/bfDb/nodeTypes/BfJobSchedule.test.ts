// Durable schedules (issue 15): stored in bfdb, one job per slot whatever the number of
// workers, missed slots by policy (tested by moving the state into the past, not by sleeping).
import assert from "node:assert/strict";
import { parseCron } from "@bfmono/packages/cron/cron.ts";
import { JsonLineProcess } from "@bfmono/packages/childProcess/jsonLineProcess.ts";
import { bfDb } from "../bfDb.ts";
import { SYSTEM_ORG_ID } from "../CurrentViewer.ts";
import { BfValidationError } from "../errors.ts";
import { dbTest } from "../testing/testDatabase.ts";
import {
  BfJobSchedule,
  MAX_MISSED_SLOTS,
  ON_TIME_MS,
  planSlots,
  type ScheduleDefinition,
} from "./BfJobSchedule.ts";

const FIRER = new URL("./testdata/scheduleFirer.ts", import.meta.url);
const HOUR = 3_600_000;

Deno.test("planSlots: skip lets missed slots go, once fires the newest, all fires them oldest first", () => {
  const hourly = parseCron("0 * * * *", "UTC");
  const checked = new Date("2026-01-01T00:30:00Z");
  const now = new Date("2026-01-01T05:20:00Z"); // 01:00 … 05:00 were missed
  const iso = (slots: Date[]) => slots.map((d) => d.toISOString());
  const skip = planSlots(hourly, "skip", checked, now);
  assert.deepEqual(skip.fire, []);
  assert.equal(skip.nextSlot?.toISOString(), "2026-01-01T06:00:00.000Z");
  assert.equal(skip.checkedUntil.toISOString(), now.toISOString());
  assert.deepEqual(iso(planSlots(hourly, "once", checked, now).fire), [
    "2026-01-01T05:00:00.000Z",
  ]);
  assert.deepEqual(iso(planSlots(hourly, "all", checked, now).fire), [
    "2026-01-01T01:00:00.000Z",
    "2026-01-01T02:00:00.000Z",
    "2026-01-01T03:00:00.000Z",
    "2026-01-01T04:00:00.000Z",
    "2026-01-01T05:00:00.000Z",
  ]);
  // On time (seen within ON_TIME_MS): every policy fires it.
  const justAfter = new Date(
    Date.parse("2026-01-01T06:00:00Z") + ON_TIME_MS - 1,
  );
  for (const missed of ["skip", "once", "all"] as const) {
    assert.deepEqual(
      iso(planSlots(hourly, missed, now, justAfter).fire),
      ["2026-01-01T06:00:00.000Z"],
      missed,
    );
  }
  // all is bounded: the newest MAX_MISSED_SLOTS, oldest first.
  const longAgo = new Date(now.getTime() - 500 * HOUR);
  const all = planSlots(hourly, "all", longAgo, now).fire;
  assert.equal(all.length, MAX_MISSED_SLOTS);
  assert.equal(all.at(-1)!.toISOString(), "2026-01-01T05:00:00.000Z");
  assert.ok(all[0] < all[1]);
  // Nothing due: nothing fires, and the next slot is the coming one.
  assert.deepEqual(planSlots(hourly, "all", now, now).fire, []);
});

/** A cron minute whose latest hourly slot is half an hour before the database's now. */
async function minuteHalfAnHourAgo(): Promise<{ cron: string; now: Date }> {
  const [{ now }] = await bfDb.query<{ now: string }>(
    "SELECT bfdb_iso(now()) AS now",
  );
  const at = new Date(now);
  return { cron: `${(at.getUTCMinutes() + 30) % 60} * * * *`, now: at };
}

/** Moves a schedule's state `hours` into the past, as if every worker had been down since. */
async function moveStateBack(name: string, hours: number): Promise<void> {
  await bfDb.query(
    `UPDATE bfdb_nodes SET props = props || jsonb_build_object(
       'checkedUntil', bfdb_iso(now() - $2::int * interval '1 hour'),
       'nextSlot', bfdb_iso(now() - ($2::int - 1) * interval '1 hour'))
     WHERE class_name = 'BfJobSchedule' AND props->>'name' = $1`,
    [name, hours],
  );
}

async function jobsOf(type: string): Promise<{ runAt: string; org: string }[]> {
  return await bfDb.query(
    `SELECT bfdb_iso(run_at) AS "runAt", bf_oid AS org FROM bfdb_jobs WHERE type = $1
     ORDER BY run_at`,
    [type],
  );
}

dbTest(
  "schedules: stored on upsert, missed slots by policy after the state moved back",
  async () => {
    const { cron } = await minuteHalfAnHourAgo();
    const defs: ScheduleDefinition[] = ["skip", "once", "all"].map((
      missed,
    ) => ({
      name: `report-${missed}`,
      cron,
      timezone: "UTC",
      type: `report_${missed}`,
      payload: { missed },
      missed: missed as "skip" | "once" | "all",
    }));
    await BfJobSchedule.upsert(defs);
    const stored = await BfJobSchedule.list();
    assert.deepEqual(stored.map((s) => s.name), [
      "report-all",
      "report-once",
      "report-skip",
    ]);
    for (const s of stored) {
      assert.equal(s.paused, false);
      assert.equal(s.lastFiredSlot, null);
      assert.ok(
        Date.parse(s.nextSlot!) > Date.parse(s.checkedUntil),
        "starts now: nothing before",
      );
    }
    // Nothing is due yet.
    assert.deepEqual(await BfJobSchedule.fireDue(defs.map((d) => d.name)), []);

    for (const def of defs) await moveStateBack(def.name, 5);
    const fired = await BfJobSchedule.fireDue(defs.map((d) => d.name));
    const skip = await jobsOf("report_skip");
    const once = await jobsOf("report_once");
    const all = await jobsOf("report_all");
    assert.equal(skip.length, 0, "skip: the missed slots are let go");
    assert.equal(
      once.length,
      1,
      "once: one job for the most recent missed slot",
    );
    assert.equal(all.length, 5, "all: one per missed slot");
    assert.deepEqual(
      once[0].runAt,
      all.at(-1)!.runAt,
      "the slot's instant is the job's runAt",
    );
    for (let i = 1; i < all.length; i++) {
      assert.equal(
        Date.parse(all[i].runAt) - Date.parse(all[i - 1].runAt),
        HOUR,
      );
    }
    assert.ok(all.every((j) => j.org === SYSTEM_ORG_ID));
    assert.equal(fired.length, 6);
    assert.ok(fired.every((f) => f.created));
    const after = await BfJobSchedule.list(["report-skip", "report-all"]);
    assert.equal(after[0].lastFiredSlot, all.at(-1)!.runAt);
    assert.equal(after[1].lastFiredSlot, null, "skip fired nothing");
    assert.ok(
      Date.parse(after[1].nextSlot!) > Date.now() - 60_000,
      "skip waits for the next slot",
    );
    // Looked at again: nothing more.
    assert.deepEqual(await BfJobSchedule.fireDue(defs.map((d) => d.name)), []);
  },
);

dbTest(
  "schedules: a restart keeps the state; a changed cron starts over; pause, resume and run",
  async () => {
    const def: ScheduleDefinition = {
      name: "digest",
      cron: "0 3 * * *",
      timezone: "Europe/Berlin",
      type: "digest",
      payload: { v: 1 },
    };
    await BfJobSchedule.upsert([def]);
    await moveStateBack("digest", 30);
    const [moved] = await BfJobSchedule.list(["digest"]);
    await BfJobSchedule.upsert([def]);
    assert.deepEqual(
      (await BfJobSchedule.list(["digest"]))[0],
      moved,
      "unchanged: state kept",
    );
    await BfJobSchedule.upsert([{ ...def, payload: { v: 2 } }]);
    const [withNewPayload] = await BfJobSchedule.list(["digest"]);
    assert.deepEqual(withNewPayload.payload, { v: 2 });
    assert.equal(
      withNewPayload.checkedUntil,
      moved.checkedUntil,
      "a payload change keeps the slots",
    );

    assert.equal(await BfJobSchedule.setPaused("digest", true), true);
    assert.deepEqual(
      await BfJobSchedule.fireDue(["digest"]),
      [],
      "paused: nothing fires",
    );
    await BfJobSchedule.upsert([{
      ...def,
      payload: { v: 2 },
      cron: "0 4 * * *",
    }]);
    const [changed] = await BfJobSchedule.list(["digest"]);
    assert.equal(changed.paused, true, "a redeploy does not unpause");
    assert.ok(
      Date.parse(changed.checkedUntil) > Date.parse(moved.checkedUntil),
      "new cron: from now",
    );
    assert.equal(await BfJobSchedule.setPaused("digest", false), true);
    assert.deepEqual(
      await BfJobSchedule.fireDue(["digest"]),
      [],
      "nothing from the pause fires",
    );
    const run = await BfJobSchedule.runNow("digest");
    assert.equal(run?.props.type, "digest");
    assert.deepEqual(run?.props.payload, { v: 2 });
    assert.equal(await BfJobSchedule.runNow("nope"), null);
    assert.equal(await BfJobSchedule.setPaused("nope", true), false);
  },
);

dbTest(
  "schedules: bad definitions are errors naming the field, and store nothing",
  async () => {
    const good: ScheduleDefinition = {
      name: "n",
      cron: "* * * * *",
      type: "t",
    };
    const cases: [
      Partial<ScheduleDefinition> & Record<string, unknown>,
      string,
    ][] = [
      [{ cron: "61 * * * *" }, "BfJobSchedule.cron"],
      [{ cron: "" }, "BfJobSchedule.cron"],
      [{ timezone: "Mars/Base" }, "BfJobSchedule.timezone"],
      [{ missed: "sometimes" as "skip" }, "BfJobSchedule.missed"],
      [{ name: "" }, "BfJobSchedule.name"],
      [{ name: " padded" }, "BfJobSchedule.name"],
      [{ type: "a\u0000b" }, "BfJobSchedule.type"],
      [{ payload: { n: NaN } }, "BfJobSchedule.payload"],
    ];
    for (const [change, field] of cases) {
      await assert.rejects(
        BfJobSchedule.upsert([{ ...good, ...change }]),
        (error: Error) =>
          error instanceof BfValidationError &&
          error.message.startsWith(`${field}:`),
        JSON.stringify(change),
      );
    }
    await assert.rejects(BfJobSchedule.upsert([good, good]), /declared twice/);
    assert.deepEqual(await BfJobSchedule.list(), []);
  },
);

dbTest(
  "schedules: 4 worker processes firing at once create exactly one job per slot",
  async ({ url }) => {
    // Every second, with the last 90 s missed and `all`: many slots, every process racing for them.
    await BfJobSchedule.upsert([{
      name: "tick",
      cron: "* * * * * *",
      type: "tick",
      missed: "all",
    }]);
    await bfDb.query(
      `UPDATE bfdb_nodes SET props = props || jsonb_build_object(
       'checkedUntil', bfdb_iso(now() - interval '90 seconds'),
       'nextSlot', bfdb_iso(now() - interval '89 seconds'))
     WHERE class_name = 'BfJobSchedule'`,
    );
    const children = Array.from({ length: 4 }, (_, i) =>
      JsonLineProcess.spawn({
        command: Deno.execPath(),
        args: ["run", "-A", FIRER.pathname, url, "tick", "3000"],
        stdin: "piped",
        label: `firer-${i}`,
      }));
    try {
      for (const child of children) {
        await child.waitForLine((line) => line.ready === true, {
          timeoutMs: 60_000,
        });
      }
      await Promise.all(children.map((child) => child.send("go")));
      const reports: { created: number; found: number }[] = [];
      for (const child of children) {
        reports.push(
          await child.waitForLine((line) => line.done === true, {
            timeoutMs: 60_000,
          }) as unknown as {
            created: number;
            found: number;
          },
        );
      }
      const jobs = await jobsOf("tick");
      const slots = new Set(jobs.map((j) => j.runAt));
      assert.equal(slots.size, jobs.length, "no slot has two jobs");
      assert.ok(
        jobs.length >= 90,
        `the missed slots and the new ones: ${jobs.length}`,
      );
      assert.equal(reports.reduce((n, r) => n + r.created, 0), jobs.length);
      for (let i = 1; i < jobs.length; i++) {
        assert.equal(
          Date.parse(jobs[i].runAt) - Date.parse(jobs[i - 1].runAt),
          1_000,
          "no slot skipped",
        );
      }
    } finally {
      for (const child of children) await child.terminate(5_000);
    }
  },
);
