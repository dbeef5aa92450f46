// A handler that takes its whole worker process down: the job itself is charged every time and
// ends failed (invariant 3), while the jobs its worker held ahead and never started come back
// uncharged (its twin), and run once, later, on a healthy worker.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { BfJob } from "@bfmono/apps/bfDb/nodeTypes/BfJob.ts";
import { MAX_UNCHARGED_RETURNS } from "@bfmono/apps/bfDb/jobs/reapExpiredJobs.ts";
import type { ReapOutcome } from "@bfmono/apps/bfDb/jobs/reapExpiredJobs.ts";
import { dbTest } from "@bfmono/apps/bfDb/testing/testDatabase.ts";
import {
  allJobRows,
  TEST_CV,
  waitForLeasesToExpire,
} from "../../bfDb/testing/jobRows.ts";
import { waitFor } from "../../bfDb/testing/waitFor.ts";
import { startWorkerProcess } from "../testing/workerProcess.ts";

const CRASHING_WORKER = fileURLToPath(
  new URL("../testdata/crashingWorker.ts", import.meta.url),
);

dbTest(
  "a handler that exits its process: it ends failed, the jobs claimed ahead with it are not charged",
  async (db) => {
    // Quick jobs first, so the worker's pacer is claiming ahead by the time it reaches the
    // crasher; then the crasher (one attempt only); then the bystanders.
    const quick = await BfJob.createMany(
      Array.from({ length: 300 }, () => ({ type: "quick", payload: {} })),
      TEST_CV,
    );
    const crasher = await BfJob.create(
      { type: "crash", payload: {}, maxAttempts: 1 },
      TEST_CV,
    );
    const bystanders = await BfJob.createMany(
      Array.from({ length: 40 }, () => ({
        type: "quick",
        payload: {},
        maxAttempts: 1,
      })),
      TEST_CV,
    );
    const bystanderIds = new Set(bystanders.map((job) => job.id));

    const outcomes: ReapOutcome[] = [];
    let rounds = 0;
    for (let round = 1; round <= MAX_UNCHARGED_RETURNS + 1; round++) {
      rounds = round;
      await using worker = await startWorkerProcess({
        databaseUrl: db.url,
        script: CRASHING_WORKER,
        readyMessage: "crashing worker ready",
        name: `crashing worker ${round}`,
      });
      const status = await worker.waitForExit(60_000);
      assert.equal(status.code, 70, worker.tail());
      const held = [...(await allJobRows())].filter(([, row]) =>
        row.status === "claimed" || row.status === "running"
      ).map(([id]) => id);
      await waitForLeasesToExpire(held);
      const reaped = await BfJob.reapExpired();
      assert.equal(reaped.length, held.length);
      outcomes.push(...reaped);
      if ((await allJobRows()).get(crasher.id)!.status === "failed") break;
    }

    const rows = await allJobRows();
    const crashed = rows.get(crasher.id)!;
    assert.equal(crashed.status, "failed", "the crasher ends failed");
    assert.equal(crashed.attempts, 1);
    // Back once uncharged, it has its start written before its next run: that crash counts.
    assert.ok(rounds <= 2, `the crasher took ${rounds} crashes to fail`);
    const heldAhead = outcomes.filter((o) => bystanderIds.has(o.id));
    assert.ok(
      heldAhead.length > 0,
      "the dead worker held bystanders it had not started: " +
        JSON.stringify(outcomes),
    );
    for (const outcome of heldAhead) {
      assert.equal(outcome.charged, false, JSON.stringify(outcome));
      assert.equal(outcome.status, "available");
    }
    // A bystander handed back in one round may have been claimed and run by the next crashing
    // worker (it ran beside the crasher): then it is completed, charged once for that run.
    for (const id of new Set(heldAhead.map((outcome) => outcome.id))) {
      const row = rows.get(id)!;
      assert.equal(
        row.attempts,
        row.status === "completed" ? 1 : 0,
        `${id}: ${JSON.stringify(row)}`,
      );
    }
    for (const job of [...quick, ...bystanders]) {
      assert.notEqual(rows.get(job.id)!.status, "failed", job.id);
    }

    // With the crasher gone, the same worker runs every bystander once: none was dead-lettered
    // for its neighbour.
    await using healthy = await startWorkerProcess({
      databaseUrl: db.url,
      script: CRASHING_WORKER,
      readyMessage: "crashing worker ready",
      name: "worker after the crasher",
    });
    await waitFor(
      async () => {
        const now = await allJobRows();
        return bystanders.every((job) =>
          now.get(job.id)!.status === "completed"
        );
      },
      "every bystander to complete",
      { detail: () => healthy.tail() },
    );
    const done = await allJobRows();
    for (const job of bystanders) assert.equal(done.get(job.id)!.attempts, 1);
  },
);
