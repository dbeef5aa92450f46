// What a handler can tell the queue besides success and failure (issue 13): snooze(ms), a
// stored result, progress for operators; and cancellation seen without its notification.
import assert from "node:assert/strict";
import { z } from "zod";
import { bfDb } from "@bfmono/apps/bfDb/bfDb.ts";
import { movedColumns } from "@bfmono/apps/bfDb/jobs/jobColumns.ts";
import { MAX_SNOOZES } from "@bfmono/apps/bfDb/jobs/snoozeJobs.ts";
import { BfJob } from "@bfmono/apps/bfDb/nodeTypes/BfJob.ts";
import { dbTest } from "@bfmono/apps/bfDb/testing/testDatabase.ts";
import { jobRow, TEST_CV } from "../../bfDb/testing/jobRows.ts";
import { aborted, Gate, waitFor } from "../../bfDb/testing/waitFor.ts";
import { defineHandler, snooze } from "./handler.ts";
import { startTestWorker } from "../testing/testWorker.ts";

dbTest(
  "snooze: the job waits again without using up an attempt, and counts its snoozes",
  async () => {
    const snoozer = defineHandler({
      type: "snoozer",
      schema: z.object({ times: z.number() }),
      process({ times }, ctx) {
        const snoozes = ctx.job.props.snoozes ?? 0;
        if (snoozes < times) return snooze(10);
        return { snoozes, attempt: ctx.attempt };
      },
    });
    await using w = await startTestWorker({ handlers: [snoozer] });
    // One attempt allowed: snoozing three times must not use it up.
    const job = await BfJob.create(
      { type: "snoozer", payload: { times: 3 }, maxAttempts: 1 },
      TEST_CV,
    );
    const row = await w.waitForStatus(job.id, "completed");
    assert.equal(row.attempts, 1);
    assert.equal(row.snoozes, 3);
    assert.deepEqual(row.result, { snoozes: 3, attempt: 1 });
    assert.deepEqual(row.errors, [], "a snooze is not an error");
    await w.waitForLogs("job completed");
    assert.equal(w.worker.metrics.snoozed.get("snoozer"), 3);
    const metrics = w.worker.metrics.render(null);
    assert.match(metrics, /^bfjobs_snoozed_total\{type="snoozer"\} 3$/m);

    // Snoozing is bounded: at MAX_SNOOZES the job fails for good instead.
    const tired = await BfJob.create(
      { type: "snoozer", payload: { times: MAX_SNOOZES + 5 } },
      TEST_CV,
    );
    await w.worker.stop();
    await bfDb.query(
      `UPDATE bfdb_jobs_active SET extra = jsonb_build_object('snoozes', $2::int)
     WHERE bf_gid = $1`,
      [tired.id, MAX_SNOOZES],
    );
    await using again = await startTestWorker({ handlers: [snoozer] });
    const failed = await again.waitForStatus(tired.id, "failed");
    assert.match(failed.error!, /snoozed 1000 times/);
    assert.equal(failed.snoozes, MAX_SNOOZES);
    assert.throws(() => snooze(Number.NaN), RangeError);
    assert.throws(() => snooze(-1), RangeError);
  },
);

dbTest(
  "results: a handler's return value is stored; nothing stores nothing; unstorable fails for good",
  async () => {
    const returns = defineHandler({
      type: "returns",
      schema: z.object({ kind: z.string() }),
      process({ kind }) {
        switch (kind) {
          case "object":
            return { sent: 3, at: new Date("2030-01-01T00:00:00.000Z") };
          case "nothing":
            return undefined;
          case "bigint":
            return { n: 10n };
          case "huge":
            return "x".repeat(300 * 1024);
          case "surrogate":
            return { text: "\ud800" };
          default:
            return null;
        }
      },
    });
    await using w = await startTestWorker({ handlers: [returns] });
    const make = (kind: string) =>
      BfJob.create(
        { type: "returns", payload: { kind }, maxAttempts: 3 },
        TEST_CV,
      );
    const object = await make("object");
    const nothing = await make("nothing");
    const nullish = await make("null");
    const bigint = await make("bigint");
    const huge = await make("huge");
    const surrogate = await make("surrogate");
    assert.deepEqual((await w.waitForStatus(object.id, "completed")).result, {
      sent: 3,
      at: "2030-01-01T00:00:00.000Z",
    });
    assert.equal(
      "result" in (await w.waitForStatus(nothing.id, "completed")),
      false,
    );
    assert.equal((await w.waitForStatus(nullish.id, "completed")).result, null);
    for (
      const [job, why] of [[bigint, /not JSON-serializable/], [
        huge,
        /larger than the limit of 262144 bytes/,
      ], [surrogate, /lone surrogate/]] as const
    ) {
      const row = await w.waitForStatus(job.id, "failed");
      assert.equal(row.attempts, 1, "permanent: not retried");
      assert.match(
        row.error!,
        /^the handler's return value cannot be stored as the job's result: result/,
      );
      assert.match(row.error!, why);
    }
    assert.equal((await BfJob.get(object.id))!.props.status, "completed");
  },
);

dbTest(
  "progress: written while the job runs, throttled, the last value stored before it settles",
  async () => {
    const step = new Gate();
    const finish = new Gate();
    const reporter = defineHandler({
      type: "reporter",
      schema: z.object({}),
      async process(_payload, ctx) {
        await ctx.progress({ done: 0 });
        await step.wait(ctx.signal);
        // A burst: throttled to one write a second, the latest value winning.
        const writes = [];
        for (let i = 1; i <= 50; i++) writes.push(ctx.progress({ done: i }));
        await finish.wait(ctx.signal);
        await ctx.progress({ done: 100 });
        await assert.rejects(
          ctx.progress("p".repeat(5_000)),
          /progress: larger than the limit of 4096 bytes/,
        );
        await assert.rejects(
          ctx.progress({ bad: 1n }),
          /progress: not JSON-serializable/,
        );
        return "ok";
      },
    });
    await using w = await startTestWorker({ handlers: [reporter] });
    const job = await BfJob.create({ type: "reporter", payload: {} }, TEST_CV);
    await w.waitForJob(
      job.id,
      (row) =>
        row.status === "running" &&
        (row.progress as { done?: number })?.done === 0,
      "first progress",
    );
    step.open();
    await w.waitForJob(
      job.id,
      (row) => (row.progress as { done?: number })?.done === 50,
      "the burst's last value",
    );
    finish.open();
    const row = await w.waitForStatus(job.id, "completed");
    assert.deepEqual(
      row.progress,
      { done: 100 },
      "the last value is written before the settle",
    );
    assert.equal(row.result, "ok");

    // Fenced: a worker that does not hold the job writes nothing.
    const other = await BfJob.create(
      { type: "held_elsewhere", payload: {} },
      TEST_CV,
    );
    const held =
      (await BfJob.claimNext("w-owner", { types: ["held_elsewhere"] }))!;
    assert.deepEqual(
      await BfJob.recordProgress("w-stranger", [{
        ...held.held,
        progressJson: "1",
      }]),
      [],
    );
    assert.deepEqual(
      await BfJob.recordProgress("w-owner", [{
        ...held.held,
        attempt: 9,
        progressJson: "1",
      }]),
      [],
      "nor a stale attempt",
    );
    assert.equal("progress" in (await jobRow(other.id)), false);
  },
);

dbTest(
  "cancel without its notification: the heartbeat finds it and aborts the handler, as cancelled",
  async () => {
    const seen: string[] = [];
    const waits = defineHandler({
      type: "waits",
      schema: z.object({}),
      async process(_payload, ctx) {
        await aborted(ctx.signal);
        seen.push(String((ctx.signal.reason as Error).message));
        throw ctx.signal.reason;
      },
    });
    await using w = await startTestWorker({
      handlers: [waits],
      config: { concurrency: 1 },
    });
    const running = await BfJob.create({ type: "waits", payload: {} }, TEST_CV);
    await w.waitForStatus(running.id, "running");
    // An operator's raw SQL cancels it, and sends no notification.
    await bfDb.query(
      `WITH gone AS (
       DELETE FROM bfdb_jobs_active WHERE type = 'waits' RETURNING *
     )
     INSERT INTO bfdb_jobs_failed SELECT ${
        movedColumns({
          status: "'cancelled'",
          error: "'stopped by hand'",
          cancelled_at: "now()",
          finished_at: "now()",
        })
      } FROM gone m`,
    );
    const logs = await w.waitForLogs("job cancelled; aborting its handler");
    assert.equal(logs[0].via, "heartbeat");
    await waitFor(() => seen.length === 1, "the handler to see its abort");
    assert.deepEqual(seen, ["cancelled: stopped by hand"]);
    await w.waitForLogs("running job cancelled; its handler was aborted");
    assert.equal(w.worker.metrics.cancelled.get("waits"), 1);
    assert.match(
      w.worker.metrics.render(null),
      /^bfjobs_cancelled_total\{type="waits"\} 1$/m,
    );
    assert.equal((await jobRow(running.id)).status, "cancelled");
    assert.equal(w.worker.runningCount, 0);
  },
);
