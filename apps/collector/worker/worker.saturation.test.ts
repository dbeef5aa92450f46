// Sustained full load (issue 19): a producer keeps thousands of no-op jobs waiting while
// workers run flat out, first in the producer's own process on one shared pool, then as two
// separate worker processes. The handlers count every run; the rows and the server's deadlock
// counter say the rest. Nothing here times anything: the checks are about correctness.
import assert from "node:assert/strict";
import { bfDb } from "@bfmono/apps/bfDb/bfDb.ts";
import { CurrentViewer } from "@bfmono/apps/bfDb/CurrentViewer.ts";
import { withTestDatabase } from "@bfmono/apps/bfDb/testing/testDatabase.ts";
import { createLogger } from "@bfmono/packages/logger/logger.ts";
import { statusCounts } from "../../bfDb/testing/jobRows.ts";
import {
  deadlockCount,
  noopHandler,
  RunCounter,
  startBacklogProducer,
} from "../testing/saturation.ts";
import { sleep } from "../../bfDb/testing/waitFor.ts";
import { startWorkerProcess } from "../testing/workerProcess.ts";
import { startWorker } from "./worker.ts";

/** How long each run stays saturated (SATURATION_SECONDS shortens it for a quick look). */
const SATURATED_MS = Number(Deno.env.get("SATURATION_SECONDS") ?? 60) * 1000;
const cv = CurrentViewer.forOrg("org_saturation");

/** Deadlocks are counted asynchronously by the server; give its statistics time to land. */
async function settledDeadlockCount(): Promise<number> {
  await sleep(1_500);
  return await deadlockCount();
}

/** Every job row still claimed or running, by worker: what a stop stranded. */
async function heldRows(): Promise<{ worker: string; n: number }[]> {
  return await bfDb.query(
    `SELECT props->>'workerId' AS worker, count(*)::int AS n FROM bfdb
     WHERE class_name = 'BfJob' AND props->>'status' IN ('claimed', 'running')
     GROUP BY 1`,
  );
}

Deno.test({
  name:
    "saturation, producer and worker in one process on one pool: every job runs once, no deadlock, a bounded backlog, nothing stranded at stop",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () =>
    withTestDatabase(async () => {
      const deadlocksBefore = await deadlockCount();
      const runs = new RunCounter();
      const worker = await startWorker({
        handlers: [noopHandler(runs)],
        config: { concurrency: 32 },
        logger: createLogger({
          service: "saturation",
          environment: "test",
          level: "error",
          write: (line) => console.error(line),
        }),
        schedules: [],
      });
      const producer = startBacklogProducer({ cv });
      let created: number;
      try {
        await sleep(SATURATED_MS);
        // Stopped while the producer still refills the queue: the stop must hand back what
        // was claimed ahead and write every settle before it returns.
        await worker.stop();
      } finally {
        await worker.stop();
        created = (await producer.stop()).created;
      }

      assert.deepEqual(await heldRows(), [], "jobs stranded by the stop");
      const counts = await statusCounts();
      assert.equal(
        (counts.completed ?? 0) + (counts.available ?? 0),
        created,
        `every job is completed or waiting: ${JSON.stringify(counts)}`,
      );
      assert.ok(runs.total > 1_000, `the load ran: ${runs.total} runs`);
      assert.deepEqual(runs.ranTwice(), [], "jobs that ran twice");
      assert.equal(counts.completed, runs.total, "every run is a completion");
      assert.ok(
        worker.peakUnsettled <= worker.unsettledBound,
        `settler backlog peaked at ${worker.peakUnsettled}, bound ${worker.unsettledBound}`,
      );
      assert.equal(await settledDeadlockCount() - deadlocksBefore, 0);
    }),
});

Deno.test({
  name:
    "saturation, two worker processes at concurrency 32: every job runs once, no deadlock, a bounded backlog, both exit 0 holding nothing",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () =>
    withTestDatabase(async (db) => {
      const deadlocksBefore = await deadlockCount();
      const dir = await Deno.makeTempDir({ prefix: "bf_saturation_" });
      try {
        const script = new URL("../testdata/noopWorker.ts", import.meta.url)
          .pathname;
        const start = (name: string) =>
          startWorkerProcess({
            databaseUrl: db.url,
            script,
            readyMessage: "noop worker ready",
            name,
            env: {
              WORKER_CONCURRENCY: "32",
              RUNS_FILE: `${dir}/${name}.txt`,
            },
          });
        await using a = await start("a");
        await using b = await start("b");
        const producer = startBacklogProducer({ cv });
        let created: number;
        try {
          await sleep(SATURATED_MS);
          a.kill("SIGTERM");
          b.kill("SIGTERM");
          for (const worker of [a, b]) {
            const status = await worker.waitForExit();
            assert.equal(status.code, 0, worker.tail());
          }
        } finally {
          created = (await producer.stop()).created;
        }

        assert.deepEqual(await heldRows(), [], "jobs stranded by the stops");
        const seen = new Set<string>();
        const twice: string[] = [];
        for (const worker of [a, b]) {
          const done = worker.logsWith("noop worker done")[0];
          assert.ok(done, worker.tail());
          assert.ok(
            Number(done.peakUnsettled) <= Number(done.unsettledBound),
            `${worker.name}: backlog peaked at ${done.peakUnsettled}, bound ${done.unsettledBound}`,
          );
          const ran = (await Deno.readTextFile(`${dir}/${worker.name}.txt`))
            .split("\n").filter(Boolean);
          for (const id of ran) {
            if (seen.has(id)) twice.push(id);
            seen.add(id);
          }
        }
        assert.deepEqual(twice, [], "jobs that ran twice");
        const counts = await statusCounts();
        assert.equal(counts.completed, seen.size, "every run is a completion");
        assert.ok(seen.size > 1_000, `the load ran: ${seen.size} runs`);
        assert.equal(
          (counts.completed ?? 0) + (counts.available ?? 0),
          created,
          `every job is completed or waiting: ${JSON.stringify(counts)}`,
        );
        assert.equal(await settledDeadlockCount() - deadlocksBefore, 0);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    }),
});
