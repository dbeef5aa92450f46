// The worker loop in this process against a real PostgreSQL: running and completing jobs, the
// concurrency limit, claiming only registered types, and NOTIFY wake-ups.
import assert from "node:assert/strict";
import { z } from "zod";
import { bfDb } from "@bfmono/apps/bfDb/bfDb.ts";
import { CurrentViewer } from "@bfmono/apps/bfDb/CurrentViewer.ts";
import { BfJob } from "@bfmono/apps/bfDb/nodeTypes/BfJob.ts";
import { dbTest } from "@bfmono/apps/bfDb/testing/testDatabase.ts";
import { defineHandler, type JobContext } from "./handler.ts";
import { jobRow, statusCounts } from "../../bfDb/testing/jobRows.ts";
import { startTestWorker } from "../testing/testWorker.ts";
import { Gate, sleep, waitFor } from "../../bfDb/testing/waitFor.ts";

const cv = CurrentViewer.forOrg("org_worker_test", "person_producer");

dbTest(
  "runs jobs with their parsed payload and context, and completes them",
  async () => {
    const seen: { n: number; ctx: JobContext }[] = [];
    const double = defineHandler({
      type: "double",
      schema: z.object({ n: z.coerce.number() }),
      process(payload, ctx) {
        seen.push({ n: payload.n * 2, ctx });
      },
    });
    await using w = await startTestWorker({ handlers: [double] });
    const jobs = await BfJob.createMany(
      [1, 2, 3].map((n) => ({ type: "double", payload: { n: String(n) } })),
      cv,
    );
    for (const job of jobs) {
      const row = await w.waitForStatus(job.id, "completed");
      assert.equal(row.attempts, 1);
      assert.equal(row.workerId, w.worker.id);
      assert.equal(typeof row.finishedAt, "string");
      assert.equal(row.lockedUntil, undefined);
    }
    assert.deepEqual(seen.map((s) => s.n).sort(), [2, 4, 6]);
    for (const { ctx } of seen) {
      assert.ok(jobs.some((job) => job.id === ctx.jobId));
      assert.equal(ctx.job.id, ctx.jobId);
      assert.equal(ctx.attempt, 1);
      assert.equal(ctx.cv.orgId, "org_worker_test");
      assert.equal(ctx.signal.aborted, false);
    }
    // Every line about a job names it.
    const completed = await w.waitForLogs("job completed", 3);
    assert.equal(completed.length, 3);
    for (const line of completed) {
      assert.equal(line.jobType, "double");
      assert.ok(jobs.some((job) => job.id === line.jobId));
    }
    assert.equal(w.worker.metrics.completed.get("double"), 3);
  },
);

dbTest("never runs more than `concurrency` jobs at once", async () => {
  const gate = new Gate();
  let inHandler = 0;
  let maxInHandler = 0;
  const slow = defineHandler({
    type: "slow",
    schema: z.object({}),
    async process() {
      inHandler++;
      maxInHandler = Math.max(maxInHandler, inHandler);
      try {
        await gate.wait();
      } finally {
        inHandler--;
      }
    },
  });
  // No claiming ahead, so the queue shows exactly what runs.
  await using w = await startTestWorker({
    handlers: [slow],
    config: { concurrency: 3, prefetch: 0 },
  });
  const jobs = await BfJob.createMany(
    Array.from({ length: 10 }, () => ({ type: "slow", payload: {} })),
    cv,
  );
  await waitFor(() => inHandler === 3, "three jobs to be running");
  // The worker claimed only what it could run: the rest wait, unclaimed and uncounted.
  assert.deepEqual(await statusCounts(), { running: 3, available: 7 });
  gate.open();
  for (const job of jobs) await w.waitForStatus(job.id, "completed");
  assert.equal(maxInHandler, 3);
});

dbTest(
  "with claiming ahead (the default), quick jobs still run at most `concurrency` at once",
  async () => {
    let inHandler = 0;
    let maxInHandler = 0;
    const quick = defineHandler({
      type: "quick",
      schema: z.object({}),
      async process() {
        inHandler++;
        maxInHandler = Math.max(maxInHandler, inHandler);
        await sleep(1);
        inHandler--;
      },
    });
    await using w = await startTestWorker({
      handlers: [quick],
      config: { concurrency: 3 },
    });
    const jobs = await BfJob.createMany(
      Array.from({ length: 200 }, () => ({ type: "quick", payload: {} })),
      cv,
    );
    await waitFor(
      async () => (await statusCounts()).completed === jobs.length,
      "every job to complete",
      { detail: async () => JSON.stringify(await statusCounts()) },
    );
    assert.equal(maxInHandler, 3);
    await waitFor(
      () => w.worker.metrics.completed.get("quick") === jobs.length,
      "the completions to be counted",
    );
  },
);

dbTest("claims only the types it has handlers for", async () => {
  const mine = defineHandler({
    type: "mine",
    schema: z.object({}),
    process() {},
  });
  await using w = await startTestWorker({ handlers: [mine] });
  const [other] = await BfJob.createMany(
    [{ type: "not_mine", payload: {} }],
    cv,
  );
  const [job] = await BfJob.createMany([{ type: "mine", payload: {} }], cv);
  await w.waitForStatus(job.id, "completed");
  // A later job of our type also completes, so the worker has looked at the queue again since.
  const later = await BfJob.create({ type: "mine", payload: {} }, cv);
  await w.waitForStatus(later.id, "completed");
  const row = await jobRow(other.id);
  assert.equal(row.status, "available");
  assert.equal(row.attempts, 0);
  assert.equal(row.workerId, undefined);
});

dbTest(
  "a job created after start runs at once on NOTIFY, with polling all but off",
  async () => {
    const ran: string[] = [];
    const note = defineHandler({
      type: "note",
      schema: z.object({}),
      process(_payload, ctx) {
        ran.push(ctx.jobId);
      },
    });
    // The fallback poll would first fire after ten minutes, and the reaper only pokes the loop
    // when it returns a job, so only the NOTIFY sent at insert can wake the worker in time.
    await using w = await startTestWorker({
      handlers: [note],
      config: { pollIntervalMs: 600_000 },
    });
    // The loop's first claim (right after start) finds nothing; wait until it has been made.
    await waitFor(
      () => w.worker.metrics.claimCount >= 1,
      "the worker's first (empty) claim",
    );
    const job = await BfJob.create({ type: "note", payload: {} }, cv);
    await w.waitForStatus(job.id, "completed");
    assert.deepEqual(ran, [job.id]);
    // And again from a transaction: the notification is delivered at commit.
    const second = await bfDb.transaction(() =>
      BfJob.create({ type: "note", payload: {} }, cv)
    );
    await w.waitForStatus(second.id, "completed");
  },
);
