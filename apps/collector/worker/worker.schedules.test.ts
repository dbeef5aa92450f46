// Schedules across real worker processes (issue 15): three workers race to fire an
// every-second schedule; each slot gets exactly one job, none is missing, and SIGKILLing one
// worker mid-run changes nothing.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { bfDb } from "@bfmono/apps/bfDb/bfDb.ts";
import { dbTest } from "@bfmono/apps/bfDb/testing/testDatabase.ts";
import { waitFor } from "../../bfDb/testing/waitFor.ts";
import { startWorkerProcess } from "../testing/workerProcess.ts";

const SCHEDULE_WORKER = fileURLToPath(
  new URL("../testdata/scheduleWorker.ts", import.meta.url),
);

async function tickSlots(): Promise<number[]> {
  const rows = await bfDb.query<{ ms: number }>(
    `SELECT (extract(epoch FROM run_at) * 1000)::float8 AS ms FROM bfdb_jobs
     WHERE type = 'tick' ORDER BY run_at`,
  );
  return rows.map((r) => Number(r.ms));
}

dbTest(
  "3 worker processes fire an every-second schedule: one job per slot, none missing, a SIGKILL changes nothing",
  async (db) => {
    const workers = await Promise.all([0, 1, 2].map((i) =>
      startWorkerProcess({
        databaseUrl: db.url,
        script: SCHEDULE_WORKER,
        readyMessage: "schedule worker ready",
        name: `schedule worker ${i}`,
      })
    ));
    try {
      await waitFor(
        async () => (await tickSlots()).length >= 3,
        "three slots to fire",
      );
      workers[0].kill("SIGKILL");
      const atKill = (await tickSlots()).length;
      await waitFor(
        async () => (await tickSlots()).length >= atKill + 3,
        "three more slots after the kill",
      );
    } finally {
      for (const w of workers) await w[Symbol.asyncDispose]();
    }
    const slots = await tickSlots();
    assert.equal(new Set(slots).size, slots.length, "no slot has two jobs");
    assert.ok(slots.length >= 6, `${slots.length} slots`);
    for (let i = 1; i < slots.length; i++) {
      assert.equal(
        slots[i] - slots[i - 1],
        1_000,
        `no slot missing between ${new Date(slots[i - 1]).toISOString()} and ${
          new Date(slots[i]).toISOString()
        }`,
      );
    }
    assert.ok(
      slots.every((ms) => ms % 1_000 === 0),
      "each job's runAt is its slot",
    );
  },
);
