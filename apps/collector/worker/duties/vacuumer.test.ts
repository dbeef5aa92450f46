import assert from "node:assert/strict";
import { bfDb } from "@bfmono/apps/bfDb/bfDb.ts";
import { vacuumQueueTablesIfNeeded } from "@bfmono/apps/bfDb/jobs/vacuumQueueTables.ts";
import { BfJob } from "@bfmono/apps/bfDb/nodeTypes/BfJob.ts";
import { TEST_CV } from "@bfmono/apps/bfDb/testing/jobRows.ts";
import { dbTest } from "@bfmono/apps/bfDb/testing/testDatabase.ts";
import { waitFor } from "@bfmono/apps/bfDb/testing/waitFor.ts";
import { VACUUM_MIN_DEAD_ROWS, vacuumerDuty } from "./vacuumer.ts";

/** Dead row versions of the active job table, once the statistics have them. */
async function deadRows(): Promise<number> {
  const [row] = await bfDb.query<{ dead: number }>(
    `SELECT n_dead_tup::int AS dead FROM pg_stat_user_tables
     WHERE relname = 'bfdb_jobs_active'`,
  );
  return Number(row.dead);
}

/** Leaves about `n` dead row versions in the active job table: claimed jobs handed back. */
async function churn(n: number): Promise<void> {
  await BfJob.createMany(
    Array.from({ length: n }, () => ({ type: "churn", payload: {} })),
    TEST_CV,
  );
  for (let left = n; left > 0; left -= 5_000) {
    const held = await BfJob.claimBatch("w-churn", {
      limit: Math.min(left, 5_000),
      types: ["churn"],
    });
    await BfJob.releaseMany(
      "w-churn",
      held.map((job) => ({ id: job.id, attempt: job.props.attempts })),
    );
  }
}

dbTest(
  "vacuumer: with autovacuum off it reclaims the queue's dead rows past the bound; below it, nothing",
  async () => {
    const [{ autovacuum }] = await bfDb.query<{ autovacuum: boolean }>(
      "SELECT current_setting('autovacuum')::boolean AS autovacuum",
    );
    await churn(500);
    await waitFor(async () => await deadRows() >= 500, "dead rows counted");
    const below = await vacuumQueueTablesIfNeeded(1_000_000);
    assert.equal(below.vacuumed, false);
    assert.ok(below.deadRows >= 500, JSON.stringify(below));

    const vacuumed: number[] = [];
    let passes = 0;
    const duty = vacuumerDuty({
      onVacuumed: (check) => vacuumed.push(check.deadRows),
      onError: (_duty, error) => {
        throw error;
      },
      onOk: () => passes++,
      dutyTimeoutMs: 10_000,
    });
    if (autovacuum) {
      // A server that vacuums by itself is left to it.
      const check = await vacuumQueueTablesIfNeeded(1);
      assert.deepEqual(check.vacuumed, false);
      return;
    }
    const check = await vacuumQueueTablesIfNeeded(100);
    assert.equal(check.vacuumed, true);
    await waitFor(
      async () => await deadRows() === 0,
      "the dead rows reclaimed",
    );
    // The duty's pass: nothing to do below its bound (500 dead rows, bound 20,000).
    await churn(500);
    duty.start(0);
    await waitFor(() => passes > 0, "the duty's first pass");
    await duty.stop();
    assert.equal(vacuumed.length, 0);

    // Past it, the next pass vacuums.
    await churn(VACUUM_MIN_DEAD_ROWS);
    await waitFor(
      async () => await deadRows() >= VACUUM_MIN_DEAD_ROWS,
      "dead rows counted",
    );
    const again = vacuumerDuty({
      onVacuumed: (check) => vacuumed.push(check.deadRows),
      onError: (_duty, error) => {
        throw error;
      },
      onOk: () => {},
      dutyTimeoutMs: 10_000,
    });
    again.start(0);
    await waitFor(() => vacuumed.length > 0, "the duty to vacuum");
    await again.stop();
    assert.ok(vacuumed[0] >= VACUUM_MIN_DEAD_ROWS, String(vacuumed[0]));
  },
);
