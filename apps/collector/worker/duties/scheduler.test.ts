import assert from "node:assert/strict";
import { bfDb } from "@bfmono/apps/bfDb/bfDb.ts";
import { dbTest } from "@bfmono/apps/bfDb/testing/testDatabase.ts";
import { enqueueDueRecurringJobs, type RecurringJob } from "./scheduler.ts";

const HOURLY: RecurringJob[] = [{
  type: "cleanup_auth_tokens",
  payload: {},
  everyMs: 3_600_000,
}];

async function jobsOfType(type: string): Promise<{ run_at: string }[]> {
  return await bfDb.query(
    "SELECT props->>'runAt' AS run_at FROM bfdb WHERE class_name = 'BfJob' AND props->>'type' = $1 ORDER BY 1",
    [type],
  );
}

dbTest(
  "recurring jobs: ten workers scheduling at once enqueue one job per hour",
  async () => {
    const now = Date.parse("2026-11-25T18:42:10.000Z");
    const results = await Promise.all(
      Array.from({ length: 10 }, () => enqueueDueRecurringJobs(HOURLY, now)),
    );
    assert.equal(
      results.flat().length,
      1,
      "exactly one scheduler call won the insert",
    );
    assert.deepEqual(await jobsOfType("cleanup_auth_tokens"), [{
      run_at: "2026-11-25T18:00:00.000Z",
    }]);

    // Later in the same hour, and again after the job completed: nothing new.
    assert.deepEqual(
      await enqueueDueRecurringJobs(HOURLY, now + 15 * 60_000),
      [],
    );
    await bfDb.query(
      "UPDATE bfdb SET props = props || '{\"status\":\"completed\"}'::jsonb WHERE class_name = 'BfJob'",
    );
    assert.deepEqual(
      await enqueueDueRecurringJobs(HOURLY, now + 16 * 60_000),
      [],
    );

    // The next hour gets its own job.
    assert.deepEqual(await enqueueDueRecurringJobs(HOURLY, now + 60 * 60_000), [
      "cleanup_auth_tokens",
    ]);
    assert.deepEqual(
      (await jobsOfType("cleanup_auth_tokens")).map((r) => r.run_at),
      [
        "2026-11-25T18:00:00.000Z",
        "2026-11-25T19:00:00.000Z",
      ],
    );
  },
);
