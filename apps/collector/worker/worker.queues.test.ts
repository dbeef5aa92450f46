// Which queues a worker claims from (issue 14): every queue when WORKER_QUEUES is unset, each
// found as its first job is created, and only the named ones otherwise.
import assert from "node:assert/strict";
import { z } from "zod";
import { bfDb } from "@bfmono/apps/bfDb/bfDb.ts";
import { jobStats } from "@bfmono/apps/bfDb/jobs/jobStats.ts";
import { BfJob } from "@bfmono/apps/bfDb/nodeTypes/BfJob.ts";
import { TEST_CV } from "@bfmono/apps/bfDb/testing/jobRows.ts";
import { dbTest } from "@bfmono/apps/bfDb/testing/testDatabase.ts";
import { startTestWorker } from "../testing/testWorker.ts";
import { defineHandler } from "./handler.ts";

const echo = defineHandler({
  type: "echo",
  schema: z.object({}),
  process: (_payload, ctx) => Promise.resolve(ctx.job.props.queue),
});

dbTest(
  "serving every queue: jobs of a queue first seen after the start run at once",
  async () => {
    const before = await BfJob.create(
      { type: "echo", payload: {}, queue: "reports" },
      TEST_CV,
    );
    await using w = await startTestWorker({
      handlers: [echo],
      // A poll far away: only the notice of the new queue can wake the worker in time.
      config: { pollIntervalMs: 600_000 },
    });
    assert.equal(w.worker.config.queues, "every");
    await w.waitForStatus(before.id, "completed");
    for (const queue of ["default", "emails", "a queue named later"]) {
      const job = await BfJob.create(
        { type: "echo", payload: {}, queue },
        TEST_CV,
      );
      const row = await w.waitForStatus(job.id, "completed");
      assert.equal((row as { result?: unknown }).result, queue);
    }
    const stats = await jobStats();
    assert.deepEqual(
      stats.unhandled,
      [],
      "a worker of every queue serves them",
    );
  },
);

dbTest(
  "serving every queue: a queue whose notice was missed is found by the re-read",
  async () => {
    await using w = await startTestWorker({
      handlers: [echo],
      config: { pollIntervalMs: 600_000 },
    });
    // Written around BfJob, so no notice is sent.
    await bfDb.query(
      `INSERT INTO bfdb_jobs_active (bf_gid, bf_oid, bf_cid, type, queue, status, payload,
                                     sort_value)
       VALUES ('silent-job', $1, $2, 'echo', 'silent', 'available', '{}', 1)`,
      [TEST_CV.orgId, TEST_CV.personId],
    );
    await w.waitForStatus("silent-job", "completed");
  },
);

dbTest(
  "WORKER_QUEUES named: jobs of other queues are left waiting and reported unserved",
  async () => {
    await using w = await startTestWorker({
      handlers: [echo],
      config: { queues: ["emails"] },
    });
    const mine = await BfJob.create(
      { type: "echo", payload: {}, queue: "emails" },
      TEST_CV,
    );
    const other = await BfJob.create(
      { type: "echo", payload: {}, queue: "reports" },
      TEST_CV,
    );
    await w.waitForStatus(mine.id, "completed");
    const row = await BfJob.findX(TEST_CV, other.id);
    assert.equal(row.props.status, "available");
    const stats = await jobStats();
    assert.deepEqual(
      stats.unhandled.map((u) => [u.queue, u.type]),
      [["reports", "echo"]],
    );
  },
);
