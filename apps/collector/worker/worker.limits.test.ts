// Queue limits across worker processes (issue 14): 4 processes x 10 slots never run more than
// a queue's global concurrency at once, as the handlers themselves count it; never start more
// than its rate in any window; and a paused queue starts nothing while its running jobs finish.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { bfDb } from "@bfmono/apps/bfDb/bfDb.ts";
import { setQueueSettings } from "@bfmono/apps/bfDb/jobs/queueSettings.ts";
import { BfJob } from "@bfmono/apps/bfDb/nodeTypes/BfJob.ts";
import {
  dbTest,
  type TestDatabase,
} from "@bfmono/apps/bfDb/testing/testDatabase.ts";
import { statusCounts, TEST_CV } from "../../bfDb/testing/jobRows.ts";
import { sleep, waitFor } from "../../bfDb/testing/waitFor.ts";
import { startTestWorker } from "../testing/testWorker.ts";
import { defineHandler } from "./handler.ts";
import { z } from "zod";
import {
  startWorkerProcess,
  type WorkerProcess,
} from "../testing/workerProcess.ts";

const LIMITS_WORKER = fileURLToPath(
  new URL("../testdata/limitsWorker.ts", import.meta.url),
);

/** Four worker processes serving queue `limited`, ten slots each. */
async function startFleet(db: TestDatabase): Promise<WorkerProcess[]> {
  await bfDb.query(
    `CREATE TABLE limits_probe (running int NOT NULL, peak int NOT NULL, runs int NOT NULL);
     INSERT INTO limits_probe VALUES (0, 0, 0)`,
  );
  return await Promise.all([0, 1, 2, 3].map((i) =>
    startWorkerProcess({
      databaseUrl: db.url,
      script: LIMITS_WORKER,
      readyMessage: "limits worker ready",
      name: `limits worker ${i}`,
      env: { WORKER_QUEUES: "limited" },
    })
  ));
}

async function stopFleet(fleet: WorkerProcess[]): Promise<void> {
  await Promise.all(fleet.map((w) => w[Symbol.asyncDispose]()));
}

async function probe(): Promise<
  { running: number; peak: number; runs: number }
> {
  const [row] = await bfDb.query<
    { running: number; peak: number; runs: number }
  >(
    "SELECT running, peak, runs FROM limits_probe",
  );
  return row;
}

async function enqueue(n: number, ms: number): Promise<void> {
  await BfJob.createMany(
    Array.from(
      { length: n },
      () => ({ type: "limited", payload: { ms }, queue: "limited" }),
    ),
    TEST_CV,
  );
}

const allCompleted = (n: number) => async () =>
  (await statusCounts()).completed === n;

dbTest(
  "globalConcurrency 3 across 4 workers x 10 slots: the handlers never see more than 3 at once",
  async (db) => {
    await setQueueSettings("limited", { globalConcurrency: 3 });
    await enqueue(60, 100);
    const fleet = await startFleet(db);
    try {
      await waitFor(allCompleted(60), "60 jobs to complete", {
        detail: async () => JSON.stringify(await statusCounts()),
      });
      const seen = await probe();
      assert.equal(seen.runs, 60, "each job ran once");
      assert.ok(seen.peak <= 3, `peak ${seen.peak}`);
      assert.equal(
        seen.peak,
        3,
        "and the limit was reached, not merely respected",
      );
      const byWorker = await bfDb.query<{ worker_id: string }>(
        "SELECT DISTINCT worker_id FROM bfdb_jobs_completed",
      );
      assert.ok(byWorker.length >= 2, "several workers shared the queue");
    } finally {
      await stopFleet(fleet);
    }
  },
);

dbTest(
  "a rate of 20 per 2 s across 4 workers: no 2 s window holds more than 20 starts",
  async (db) => {
    await setQueueSettings("limited", {
      rateLimit: { count: 20, periodMs: 2_000 },
    });
    await enqueue(50, 0);
    const fleet = await startFleet(db);
    try {
      await waitFor(allCompleted(50), "50 jobs to complete");
      const starts = (await bfDb.query<{ ms: number }>(
        `SELECT (extract(epoch FROM started_at) * 1000)::float8 AS ms FROM bfdb_jobs_completed
       ORDER BY started_at`,
      )).map((r) => Number(r.ms));
      assert.equal(starts.length, 50);
      let most = 0;
      for (let i = 0; i < starts.length; i++) {
        let j = i;
        while (j < starts.length && starts[j] < starts[i] + 2_000) j++;
        most = Math.max(most, j - i);
      }
      assert.equal(most, 20, `the busiest 2 s window held ${most} starts`);
      assert.ok(
        starts.at(-1)! - starts[0] >= 4_000,
        "50 starts at 20 per 2 s take over 4 s",
      );
    } finally {
      await stopFleet(fleet);
    }
  },
);

dbTest(
  "pause: nothing new starts, running jobs finish; resume goes on where it was",
  async (db) => {
    await enqueue(400, 200);
    const fleet = await startFleet(db);
    try {
      await waitFor(
        async () => (await probe()).runs >= 40,
        "the fleet to be busy",
      );
      await setQueueSettings("limited", { paused: true });
      // Every job running at the pause finishes; then the count of runs holds still.
      await waitFor(
        async () => (await probe()).running === 0,
        "running jobs to finish",
      );
      const held = await probe();
      await sleep(1_500);
      const later = await probe();
      assert.equal(later.runs, held.runs, "nothing started while paused");
      const counts = await statusCounts();
      assert.ok(counts.available > 0, JSON.stringify(counts));
      assert.equal(
        counts.claimed ?? 0,
        0,
        "claimed-ahead jobs were handed back",
      );
      assert.equal(counts.running ?? 0, 0);
      await setQueueSettings("limited", { paused: false });
      await waitFor(
        allCompleted(400),
        "every job to complete after the resume",
      );
      assert.equal((await probe()).runs, 400, "each job ran once");
    } finally {
      await stopFleet(fleet);
    }
  },
);

dbTest(
  "WORKER_QUEUES slots: a=1,b=3 in one worker of 6 slots run at most 1 and 3 at once",
  async () => {
    const running = new Map<string, number>();
    const peak = new Map<string, number>();
    const slow = defineHandler({
      type: "slow",
      schema: z.object({ ms: z.number() }),
      async process({ ms }, ctx) {
        const queue = ctx.job.props.queue;
        running.set(queue, (running.get(queue) ?? 0) + 1);
        peak.set(queue, Math.max(peak.get(queue) ?? 0, running.get(queue)!));
        await new Promise((resolve) => setTimeout(resolve, ms));
        running.set(queue, running.get(queue)! - 1);
      },
    });
    await using w = await startTestWorker({
      handlers: [slow],
      config: {
        concurrency: 6,
        queues: ["a", "b"],
        queueSlots: { a: 1, b: 3 },
      },
    });
    await BfJob.createMany(
      ["a", "b"].flatMap((queue) =>
        Array.from(
          { length: 10 },
          () => ({ type: "slow", payload: { ms: 50 }, queue }),
        )
      ),
      TEST_CV,
    );
    await waitFor(allCompleted(20), "20 jobs to complete");
    assert.equal(peak.get("a"), 1);
    assert.equal(peak.get("b"), 3);
    assert.equal(w.worker.runningCount, 0);
  },
);
