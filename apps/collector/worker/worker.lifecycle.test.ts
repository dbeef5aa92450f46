// Stopping and losing jobs: graceful stop lets running jobs finish, releases what outlives the
// grace period without counting the attempt, and the heartbeat aborts a job whose lease was lost.
import assert from "node:assert/strict";
import { z } from "zod";
import { bfDb } from "@bfmono/apps/bfDb/bfDb.ts";
import { CurrentViewer } from "@bfmono/apps/bfDb/CurrentViewer.ts";
import { BfJob } from "@bfmono/apps/bfDb/nodeTypes/BfJob.ts";
import {
  ANY_QUEUE,
  liveWorkers,
} from "@bfmono/apps/bfDb/jobs/workerRegistry.ts";
import { dbTest } from "@bfmono/apps/bfDb/testing/testDatabase.ts";
import { JobAbort } from "./abortReasons.ts";
import { defineHandler } from "./handler.ts";
import { jobRow, statusCounts } from "../../bfDb/testing/jobRows.ts";
import { startTestWorker } from "../testing/testWorker.ts";
import { aborted, Gate, waitFor } from "../../bfDb/testing/waitFor.ts";

const cv = CurrentViewer.forOrg("org_worker_lifecycle", "person_producer");

dbTest(
  "stop() claims nothing more and lets a running job finish within the grace period",
  async () => {
    const gate = new Gate();
    const started: string[] = [];
    const held = defineHandler({
      type: "held",
      schema: z.object({}),
      async process(_payload, ctx) {
        started.push(ctx.jobId);
        await gate.wait();
      },
    });
    await using w = await startTestWorker({
      handlers: [held],
      config: { concurrency: 1 },
    });
    await BfJob.createMany(
      [{ type: "held", payload: {} }, { type: "held", payload: {} }],
      cv,
    );
    await waitFor(() => started.length === 1, "one job to start");
    const stopped = w.worker.stop(60_000);
    await waitFor(
      () => w.logs.some((l) => l.msg === "worker stopping"),
      "the worker to begin stopping",
    );
    gate.open();
    await stopped;
    assert.equal((await jobRow(started[0])).status, "completed");
    // The other job was never claimed: still available, no attempt counted.
    const rows = await bfDb.query<{ id: string; props: { attempts: number } }>(
      `SELECT bf_gid AS id, props FROM bfdb
     WHERE class_name = 'BfJob' AND props->>'status' = 'available'`,
    );
    assert.equal(rows.length, 1);
    assert.equal(rows[0].props.attempts, 0);
    assert.equal(started.length, 1);
  },
);

dbTest(
  "a job still running after the grace period is released to available, its attempt not counted",
  async () => {
    const gate = new Gate();
    const reasons: unknown[] = [];
    const stubborn = defineHandler({
      type: "stubborn",
      schema: z.object({}),
      async process(_payload, ctx) {
        ctx.signal.addEventListener(
          "abort",
          () => reasons.push(ctx.signal.reason),
        );
        await gate.wait(); // ignores the abort
      },
    });
    try {
      await using w = await startTestWorker({ handlers: [stubborn] });
      const job = await BfJob.create({ type: "stubborn", payload: {} }, cv);
      await w.waitForStatus(job.id, "running");
      assert.equal((await jobRow(job.id)).attempts, 1);
      await w.worker.stop(50);
      const row = await jobRow(job.id);
      assert.equal(row.status, "available");
      assert.equal(row.attempts, 0);
      assert.equal(row.workerId, undefined);
      assert.equal(row.lockedUntil, undefined);
      assert.equal(reasons.length, 1);
      assert.ok(reasons[0] instanceof JobAbort);
      assert.equal(reasons[0].kind, "shutdown");
      assert.ok(
        w.logs.some((l) =>
          l.msg === "job released back to the queue" && l.jobId === job.id
        ),
      );
      // A worker that starts later runs it as attempt 1.
      gate.open();
      await using again = await startTestWorker({ handlers: [stubborn] });
      const done = await again.waitForStatus(job.id, "completed");
      assert.equal(done.attempts, 1);
    } finally {
      gate.open();
    }
  },
);

dbTest(
  "the heartbeat aborts a job whose lease another worker now holds, and leaves its row alone",
  async () => {
    const reasons: unknown[] = [];
    const watcher = defineHandler({
      type: "watcher",
      schema: z.object({}),
      async process(_payload, ctx) {
        await aborted(ctx.signal);
        reasons.push(ctx.signal.reason);
      },
    });
    // Lease 600 ms: a heartbeat every 200 ms.
    await using w = await startTestWorker({
      handlers: [watcher],
      config: { leaseMs: 600 },
    });
    const job = await BfJob.create({ type: "watcher", payload: {} }, cv);
    await w.waitForStatus(job.id, "running");
    // Another worker took the job over (as after a reap and re-claim), with a long lease so no
    // reaper touches it.
    await bfDb.query(
      `UPDATE bfdb SET props = props || jsonb_build_object(
       'workerId', 'worker-other',
       'lockedUntil', bfdb_iso(now() + interval '1 hour'))
     WHERE bf_gid = $1`,
      [job.id],
    );
    await waitFor(() => reasons.length === 1, "the job's signal to fire");
    assert.ok(reasons[0] instanceof JobAbort);
    assert.equal(reasons[0].kind, "lease-lost");
    await waitFor(() => w.worker.runningCount === 0, "the job to be dropped");
    assert.ok(
      w.logs.some((l) =>
        l.msg === "job abandoned: lease lost to the reaper" &&
        l.jobId === job.id
      ),
    );
    await w.worker.stop();
    // Its new owner decides its fate: this worker wrote nothing.
    const row = await jobRow(job.id);
    assert.equal(row.status, "running");
    assert.equal(row.workerId, "worker-other");
    assert.equal(row.attempts, 1);
    assert.deepEqual(await statusCounts(), { running: 1 });
  },
);

dbTest(
  "a worker is in the registry of live workers while it runs, renewed by its heartbeat, and leaves it at stop",
  async () => {
    const gate = new Gate();
    const held = defineHandler({
      type: "registered",
      schema: z.object({}),
      async process() {
        await gate.wait();
      },
    });
    const w = await startTestWorker({
      handlers: [held],
      config: { concurrency: 2, leaseMs: 1_500 },
    });
    try {
      const [entry] = await liveWorkers();
      assert.equal(entry.workerId, w.worker.id);
      assert.equal(entry.concurrency, 2);
      assert.equal(entry.pid, Deno.pid);
      // A worker without WORKER_QUEUES serves every queue ("*").
      assert.deepEqual(entry.kinds, [{ queue: ANY_QUEUE, type: "registered" }]);
      await BfJob.create({ type: "registered", payload: {} }, cv);
      // Renewed past its 1.5 s lease, with the running count.
      await waitFor(async () => {
        const [now] = await liveWorkers();
        return now?.running === 1 && now.lastSeen > entry.lastSeen;
      }, "a renewal with the running job");
      // An entry swept away (say, after a long pause) is written again by the next beat.
      await bfDb.query("DELETE FROM bfdb_workers");
      await waitFor(
        async () => (await liveWorkers())[0]?.workerId === w.worker.id,
        "the worker to register again",
      );
    } finally {
      gate.open();
      await w.worker.stop();
    }
    assert.deepEqual(await liveWorkers(), []);
  },
);
